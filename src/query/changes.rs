//! `GET /api/records/changes` parameters (the change feed, issue 12 §2): `since`, `limit` and
//! `wait` as sent become a [`ChangesQuery`], or a [`QueryError`] naming the parameter.
//!
//! Owns: the feed's parameter syntax, defaults and bounds. Must not: read the store or know HTTP
//! (the `Last-Event-ID` header reaches [`ChangesQuery::parse`] as a value, by the handler).
//! Other parameters are ignored, as on `/api/records`.

use super::QueryError;
use std::time::Duration;

/// `limit` when none is sent.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest `limit`: a page holds at most this many records.
pub const MAX_LIMIT: u32 = 1000;
/// The longest `wait`, in seconds: a long poll ends within it, so proxies with a one-minute
/// idle timeout pass it.
pub const MAX_WAIT_SECS: u64 = 60;

/// A validated feed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangesQuery {
    /// Entries after this sequence number are answered (0 = from the start).
    pub since: u64,
    /// Most entries in the answer.
    pub limit: u32,
    /// How long to hold the request when nothing newer than `since` is visible.
    pub wait: Duration,
}

impl ChangesQuery {
    /// Parses the query pairs; `last_event_id` (SSE's reconnect header) stands for `since` when
    /// the query has none.
    pub fn parse(
        pairs: &[(String, String)],
        last_event_id: Option<&str>,
    ) -> Result<ChangesQuery, QueryError> {
        let one = |name: &'static str| -> Result<Option<&str>, QueryError> {
            let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
            let first = values.next();
            match values.next() {
                Some(_) => Err(QueryError::Repeated {
                    param: name.to_owned(),
                }),
                None => Ok(first.map(String::as_str)),
            }
        };
        let invalid = |param: &'static str, expected: &str, got: &str| QueryError::Invalid {
            param,
            expected: expected.to_owned(),
            got: got.to_owned(),
        };
        let since = match one("since")?.or(last_event_id) {
            None | Some("") => 0,
            Some(v) => v.parse::<u64>().map_err(|_| {
                invalid(
                    "since",
                    "a cursor from a previous answer's `next` (a whole number), or 0",
                    v,
                )
            })?,
        };
        let limit = match one("limit")? {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        "limit",
                        &format!("an integer from 1 to {MAX_LIMIT}"),
                        v,
                    ))
                }
            },
        };
        let wait = match one("wait")? {
            None => 0,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n <= MAX_WAIT_SECS => n,
                _ => {
                    let expected = format!("whole seconds from 0 to {MAX_WAIT_SECS}");
                    return Err(invalid("wait", &expected, v));
                }
            },
        };
        Ok(ChangesQuery {
            since,
            limit,
            wait: Duration::from_secs(wait),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<ChangesQuery, QueryError> {
        let pairs: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ChangesQuery::parse(&pairs, None)
    }

    #[test]
    fn defaults_bounds_and_errors() {
        let default = parse(&[]).unwrap();
        assert_eq!(
            (default.since, default.limit, default.wait),
            (0, 100, Duration::ZERO)
        );
        let q = parse(&[("since", "17"), ("limit", "1000"), ("wait", "60")]).unwrap();
        assert_eq!((q.since, q.limit, q.wait.as_secs()), (17, 1000, 60));
        for bad in [
            ("since", "-1"),
            ("since", "abc"),
            ("limit", "0"),
            ("limit", "1001"),
            ("wait", "61"),
            ("wait", "1.5"),
        ] {
            let err = parse(&[bad]).unwrap_err();
            assert!(err.to_string().contains(bad.0), "{err}");
        }
        assert!(matches!(
            parse(&[("since", "1"), ("since", "2")]),
            Err(QueryError::Repeated { .. })
        ));
    }

    #[test]
    fn last_event_id_stands_for_a_missing_since() {
        let header = ChangesQuery::parse(&[], Some("42")).unwrap();
        assert_eq!(header.since, 42);
        let pairs = vec![("since".to_owned(), "7".to_owned())];
        assert_eq!(ChangesQuery::parse(&pairs, Some("42")).unwrap().since, 7);
    }
}
