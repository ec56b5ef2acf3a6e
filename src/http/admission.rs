//! Admission of streamed responses: at most `--max-streams` run at once; up to `--max-queue`
//! more wait, each at most `--queue-wait-ms`, for a slot; past either bound the request gets 503
//! with `Retry-After` (issue 15 finding 8: 2,000 simultaneous listings got ~165 answers and 1,835
//! immediate 503s when a full house refused at once).
//!
//! Owns: the slots, the count of waiters and the wait. Must not: know what a response does with
//! its slot (the permit travels with the producer, see `body`).

use crate::error::ApiError;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slots for streamed responses and the bounded queue in front of them.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
    refused: AtomicU64,
}

/// Decrements the waiter count however the wait ends (slot, timeout, or the client leaving).
struct Waiter<'a>(&'a AtomicUsize);

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Admission {
    /// `slots` responses at once, `max_waiting` more waiting at most `wait` each.
    pub fn new(slots: usize, max_waiting: usize, wait: Duration) -> Admission {
        Admission {
            slots: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait,
            refused: AtomicU64::new(0),
        }
    }

    /// A slot, at once or after a bounded wait; [`ApiError::Busy`] when the queue is full or the
    /// wait runs out.
    pub async fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(self.refuse());
        }
        let _waiter = Waiter(&self.waiting);
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(self.refuse()),
        }
    }

    fn refuse(&self) -> ApiError {
        self.refused.fetch_add(1, Ordering::Relaxed);
        ApiError::Busy
    }

    /// Requests refused (503) since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Requests waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_a_slot_within_the_bound_and_refuses_past_it() {
        let admission = Arc::new(Admission::new(1, 1, Duration::from_millis(200)));
        let first = admission.admit().await.unwrap();
        // One waiter is admitted when the slot frees within its wait.
        let queued = tokio::spawn({
            let admission = admission.clone();
            async move { admission.admit().await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(admission.waiting(), 1);
        // A second waiter finds the queue full.
        assert!(matches!(admission.admit().await, Err(ApiError::Busy)));
        drop(first);
        assert!(queued.await.unwrap());
        assert_eq!(admission.waiting(), 0);
        // A waiter whose wait runs out is refused.
        let _held = admission.admit().await.unwrap();
        assert!(matches!(admission.admit().await, Err(ApiError::Busy)));
        assert_eq!(admission.waiting(), 0);
        assert_eq!(admission.refused(), 2);
    }
}
