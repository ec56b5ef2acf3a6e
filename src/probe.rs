//! `oipd health`: asks a running server's `GET /api/health`, for container health checks and
//! scripts (the runtime image has no shell or curl).
//!
//! Owns: turning a listen address into the URL to probe and judging the answer. Must not: open
//! the store (the server holds it) or know more of the answer than `status` and `records`.
//! Exit 0 for `ok` and for `degraded` (damaged records are skipped and the rest is served:
//! restarting would not repair them, and `oipd check` says what to do); an error otherwise.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No answer, or not a 200.
    #[error("{url}: {reason}")]
    Unhealthy {
        /// The URL probed.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// The health URL of a server listening on `bind`: an unspecified address (`0.0.0.0`, `[::]`,
/// as in a container) is probed on loopback; a host name is used as given.
pub fn health_url(bind: &str) -> String {
    let host = match bind.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => {
            let loopback = match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            };
            SocketAddr::new(loopback, addr.port()).to_string()
        }
        _ => bind.to_owned(),
    };
    format!("http://{host}/api/health")
}

/// Asks `url`; on a 200 returns the answer's `status` and `records` as one line.
pub fn probe(url: &str, timeout: Duration) -> Result<String, ProbeError> {
    let fail = |reason: String| ProbeError::Unhealthy {
        url: url.to_owned(),
        reason,
    };
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let answer = match agent.get(url).call() {
        Ok(answer) => answer,
        Err(ureq::Error::Status(code, _)) => return Err(fail(format!("answered {code}"))),
        Err(e) => return Err(fail(e.to_string())),
    };
    // A health answer is a few hundred bytes: whatever answers with more is not oipd.
    let body: serde_json::Value =
        serde_json::from_reader(std::io::Read::take(answer.into_reader(), 1 << 20))
            .map_err(|e| fail(format!("not a health answer: {e}")))?;
    match body["status"].as_str() {
        Some(status @ ("ok" | "degraded")) => Ok(format!("{status}: {} records", body["records"])),
        other => Err(fail(format!("status {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_probed_on_loopback() {
        assert_eq!(
            health_url("0.0.0.0:3005"),
            "http://127.0.0.1:3005/api/health"
        );
        assert_eq!(health_url("[::]:8080"), "http://[::1]:8080/api/health");
        assert_eq!(
            health_url("10.1.2.3:3005"),
            "http://10.1.2.3:3005/api/health"
        );
        assert_eq!(
            health_url("localhost:3005"),
            "http://localhost:3005/api/health"
        );
    }
}
