//! `GET /api/records` parameters: the strings as sent ([`RawRecordsQuery`]) become typed settings
//! ([`RecordsQuery`]) or a [`QueryError`] naming the parameter and what it accepts.
//!
//! Owns: every rule about parameter syntax, defaults and limits (decisions.md "Query parameters").
//! Must not: read the store or know HTTP. This is the only stage where a value may be a string
//! that has not been validated; everything past it is typed.

pub mod changes;
mod filters;
mod params;
mod sort;

pub use filters::{
    BlockFilter, FieldSearch, Filters, ListFilter, MatchMode, NameFilter, NoteSearch, TagSummary,
    TextMatch,
};

pub use params::{Format, RawRecordsQuery, RecordsQuery, ResolveOptions, ShapeOptions};
pub use sort::{Direction, ScoreKey, Sort, SortKey};

/// Why a query is refused (400).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    /// A value does not parse.
    #[error("invalid {param}: expected {expected}, got {got:?}")]
    Invalid {
        /// The parameter.
        param: &'static str,
        /// What it accepts.
        expected: String,
        /// What was sent.
        got: String,
    },
    /// A list (or the query itself) is longer than the work one request may ask for.
    #[error("{what} has {got} entries; at most {limit} are accepted (each one costs work on every record a request visits)")]
    TooMany {
        /// The parameter, or `the query string`.
        what: &'static str,
        /// The cap.
        limit: usize,
        /// How many were sent.
        got: usize,
    },
    /// A parameter that takes one value was sent several times.
    #[error("{param} was given more than once; it takes a single value")]
    Repeated {
        /// The parameter.
        param: String,
    },
}

/// Limits the query is validated against (from `ServeConfig`).
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    /// Largest `limit` accepted.
    pub max_limit: u32,
    /// `resolveDepth` above this is clamped to it.
    pub max_resolve_depth: u32,
}
