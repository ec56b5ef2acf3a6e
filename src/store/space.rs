//! The disk-space guard: a batch is refused before the engine sees it when the data dir's
//! filesystem would be left with less than the configured reserve.
//!
//! Owns: measuring free space (statvfs) and deciding whether a batch of a given size may be
//! written. Must not: write anything, or know which engine is below.
//!
//! Why a guard and not only the engine's own ENOSPC: an engine that hits ENOSPC in the middle of
//! its work is left in a state we do not control (sled 0.34 stops every later write until the
//! process restarts, and a snapshot it was writing when the disk filled is left behind, see
//! `sled_kv`). Refusing early keeps the engine on the path it was built for: the write fails
//! with [`StoreError::NoSpace`], readers carry on, and the next write succeeds once space is
//! freed, without a restart (issue 15 findings 1 and 2). The engine's own ENOSPC stays the
//! backstop for a disk filled from outside within the reserve.

use super::StoreError;
use std::path::{Path, PathBuf};

/// Bytes an engine may write per byte of batch. A batch's bytes already count every index entry,
/// posting block and column block it rewrites; the engine adds its log or copy-on-write pages on
/// top (sled's log rewrites pages as they change). The reserve absorbs what this misjudges.
const AMPLIFICATION: u64 = 2;

/// Refuses writes that would leave less than `reserve` bytes free on the data dir's filesystem.
#[derive(Debug, Clone)]
pub struct SpaceGuard {
    dir: PathBuf,
    reserve: u64,
}

impl SpaceGuard {
    /// A guard for the filesystem holding `dir`, keeping `reserve` bytes free.
    pub fn new(dir: &Path, reserve: u64) -> SpaceGuard {
        SpaceGuard {
            dir: dir.to_path_buf(),
            reserve,
        }
    }

    /// The directory whose filesystem is watched.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes available to this process on the data dir's filesystem.
    pub fn available(&self) -> Result<u64, StoreError> {
        let stat = rustix::fs::statvfs(&self.dir).map_err(|e| {
            StoreError::Engine(format!(
                "cannot read the free space of {}: {e}",
                self.dir.display()
            ))
        })?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }

    /// `Ok` when a batch of `bytes` may be written.
    pub fn admit(&self, bytes: u64) -> Result<(), StoreError> {
        let needed = self
            .reserve
            .saturating_add(bytes.saturating_mul(AMPLIFICATION));
        let available = self.available()?;
        if available < needed {
            return Err(StoreError::NoSpace(format!(
                "{} MiB free on the filesystem of {}, a write of {} KiB needs {} MiB \
                 (the reserve kept free is {} MiB, --min-free-mb)",
                available >> 20,
                self.dir.display(),
                bytes >> 10,
                needed.div_ceil(1 << 20),
                self.reserve >> 20,
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_above_the_free_space_refuses_and_below_it_admits() {
        let dir = tempfile::tempdir().unwrap();
        let free = SpaceGuard::new(dir.path(), 0).available().unwrap();
        assert!(free > 0);
        let refuse = SpaceGuard::new(dir.path(), free + (1 << 30));
        assert!(matches!(refuse.admit(1), Err(StoreError::NoSpace(_))));
        let admit = SpaceGuard::new(dir.path(), 1 << 20);
        admit.admit(1024).unwrap();
        // The batch itself counts, amplified.
        let tight = SpaceGuard::new(dir.path(), 0);
        assert!(matches!(
            tight.admit(free / AMPLIFICATION + 1),
            Err(StoreError::NoSpace(_))
        ));
    }
}
