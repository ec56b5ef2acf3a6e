//! [`ApiError`]: the only type that knows HTTP status codes. Every error response is JSON
//! `{"error": "<what>", "detail": "<why / how to fix>", "code": "<ErrorCode>"}` (decisions.md
//! "Errors"), plus the original's members where its clients read them (calendar 403s, `did` on
//! delete 404s). `error` stays the English text OIP clients already show; `code` (issue 13) is
//! the stable, machine-readable name a client matches on, one [`ErrorCode`] per kind of error,
//! listed as an enum in the OpenAPI document (`static/openapi.json`, `ErrorCode` schema).
//!
//! Owns: mapping each layer's error to a status and body. Must not: be constructed after a
//! response's first byte (faults then close the connection, see `http::body`).

use crate::query::QueryError;
use crate::store::StoreError;
use crate::write::{WriteError, WriteFailure};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Map, Value};

/// The stable `code` member of an error body. Renaming one breaks clients: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A query parameter's value does not parse or is out of range (400).
    InvalidParameter,
    /// A list parameter (or the query) holds more entries than accepted (400).
    TooManyValues,
    /// A single-valued parameter was sent more than once (400).
    RepeatedParameter,
    /// The query string does not decode (400).
    MalformedQuery,
    /// The request body is not what the route reads (400).
    InvalidBody,
    /// A record to write breaks the rules of `newRecord` (400).
    InvalidRecord,
    /// No valid token where one is needed (401).
    Unauthorized,
    /// The token may not do this (403).
    Forbidden,
    /// A calendar token asked for what its scope excludes (403).
    CalendarScope,
    /// `soul` is not the caller's (403).
    SoulDenied,
    /// The record belongs to someone else (403).
    NotOwner,
    /// A read-only token (`--scope replicate`) asked to write (403).
    ReadOnlyToken,
    /// This node is a read-only replica (`serve --follow`): writes go to the primary (403).
    ReadOnlyReplica,
    /// No route has the path (404).
    NotFound,
    /// No record with this DID that the caller may see (404).
    RecordNotFound,
    /// The route exists, not for this method (405).
    MethodNotAllowed,
    /// The body exceeds `--max-body-mb` (413).
    PayloadTooLarge,
    /// Publishing to a chain, which this node does not do (501).
    NotImplemented,
    /// Every streaming slot is taken and the queue is full or its wait ran out (503).
    Busy,
    /// A write did not finish within `--write-timeout-secs` (503).
    WriteTimeout,
    /// The disk is full; nothing was written (507).
    NoSpace,
    /// Another process holds the data dir (500).
    StoreLocked,
    /// Stored bytes do not decode (500).
    StoreCorrupt,
    /// Any other internal fault (500); logged.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order the OpenAPI document lists them.
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::InvalidParameter,
        ErrorCode::TooManyValues,
        ErrorCode::RepeatedParameter,
        ErrorCode::MalformedQuery,
        ErrorCode::InvalidBody,
        ErrorCode::InvalidRecord,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::CalendarScope,
        ErrorCode::SoulDenied,
        ErrorCode::NotOwner,
        ErrorCode::ReadOnlyToken,
        ErrorCode::ReadOnlyReplica,
        ErrorCode::NotFound,
        ErrorCode::RecordNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::NotImplemented,
        ErrorCode::Busy,
        ErrorCode::WriteTimeout,
        ErrorCode::NoSpace,
        ErrorCode::StoreLocked,
        ErrorCode::StoreCorrupt,
        ErrorCode::Internal,
    ];

    /// The wire form: snake case.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::TooManyValues => "too_many_values",
            ErrorCode::RepeatedParameter => "repeated_parameter",
            ErrorCode::MalformedQuery => "malformed_query",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidRecord => "invalid_record",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CalendarScope => "calendar_scope",
            ErrorCode::SoulDenied => "soul_denied",
            ErrorCode::NotOwner => "not_owner",
            ErrorCode::ReadOnlyToken => "read_only_token",
            ErrorCode::ReadOnlyReplica => "read_only_replica",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RecordNotFound => "record_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::Busy => "busy",
            ErrorCode::WriteTimeout => "write_timeout",
            ErrorCode::NoSpace => "no_space",
            ErrorCode::StoreLocked => "store_locked",
            ErrorCode::StoreCorrupt => "store_corrupt",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error answered before any body byte is sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is malformed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The query string itself does not decode.
    #[error("malformed query string: {0}")]
    QueryString(String),
    /// A request body is malformed.
    #[error("invalid request body: {0}")]
    Body(String),
    /// A request body is larger than `--max-body-mb`.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// A write was refused.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A write needs a valid token.
    #[error("authentication required: {0}")]
    Unauthorized(String),
    /// A calendar token asked for what it may not read (the original's 403 body).
    #[error("{0}")]
    Calendar(String),
    /// A read-only token (replicate) asked to write.
    #[error("{0}")]
    ReadOnly(String),
    /// `soul` does not belong to the caller.
    #[error("access denied to this record")]
    SoulDenied,
    /// A delete body in the wrong shape; the text is the original's `error`, which clients show.
    #[error("{0}")]
    DeleteShape(&'static str),
    /// No route has this path.
    #[error("no route for {0}")]
    NotFound(String),
    /// The route exists but not for this method.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path.
        path: String,
        /// The methods the path answers, for the `Allow` header (RFC 9110 §15.5.6).
        allow: String,
    },
    /// Every streaming slot is taken (`--max-streams`).
    #[error("too many responses in flight")]
    Busy,
    /// Every change-feed listener slot is taken (`--max-feed-listeners`).
    #[error("too many change-feed listeners")]
    FeedBusy(usize),
    /// A write did not finish within `--write-timeout-secs`.
    #[error("the store did not finish the write within {0} s")]
    WriteTimeout(u64),
    /// This node follows a primary (`serve --follow`) and takes no writes.
    #[error("read-only replica of {0}")]
    Replica(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// The machine-readable kind of this error: the body's `code`.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Query(QueryError::Invalid { .. }) => ErrorCode::InvalidParameter,
            ApiError::Query(QueryError::TooMany { .. }) => ErrorCode::TooManyValues,
            ApiError::Query(QueryError::Repeated { .. }) => ErrorCode::RepeatedParameter,
            ApiError::QueryString(_) => ErrorCode::MalformedQuery,
            ApiError::Body(_) | ApiError::DeleteShape(_) => ErrorCode::InvalidBody,
            ApiError::TooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::Write(WriteError::Invalid(_)) => ErrorCode::InvalidRecord,
            ApiError::Write(WriteError::Forbidden(_)) => ErrorCode::Forbidden,
            ApiError::Write(WriteError::ChainStorage(_)) => ErrorCode::NotImplemented,
            ApiError::Write(WriteError::NotOwner(_)) => ErrorCode::NotOwner,
            ApiError::Write(WriteError::NotFound(_)) => ErrorCode::RecordNotFound,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Calendar(_) => ErrorCode::CalendarScope,
            ApiError::SoulDenied => ErrorCode::SoulDenied,
            ApiError::ReadOnly(_) => ErrorCode::ReadOnlyToken,
            ApiError::Replica(_) => ErrorCode::ReadOnlyReplica,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Busy | ApiError::FeedBusy(_) => ErrorCode::Busy,
            ApiError::WriteTimeout(_) => ErrorCode::WriteTimeout,
            ApiError::Store(StoreError::NoSpace(_)) => ErrorCode::NoSpace,
            ApiError::Store(StoreError::Locked { .. }) => ErrorCode::StoreLocked,
            ApiError::Store(StoreError::Corrupt(_)) => ErrorCode::StoreCorrupt,
            ApiError::Store(_) => ErrorCode::Internal,
        }
    }

    /// Status and body; the body always carries `code`.
    pub(crate) fn parts(&self) -> (StatusCode, Map<String, Value>) {
        let (status, mut body) = self.status_and_body();
        body.insert("code".into(), self.code().as_str().into());
        (status, body)
    }

    fn status_and_body(&self) -> (StatusCode, Map<String, Value>) {
        let plain = |status, error: &str, detail: String| {
            let body = json!({"error": error, "detail": detail});
            (status, body.as_object().cloned().unwrap_or_default())
        };
        match self {
            ApiError::Query(e) => plain(
                StatusCode::BAD_REQUEST,
                "invalid query parameter",
                e.to_string(),
            ),
            ApiError::QueryString(e) => {
                plain(StatusCode::BAD_REQUEST, "malformed query string", e.clone())
            }
            ApiError::Body(e) => plain(StatusCode::BAD_REQUEST, "invalid request body", e.clone()),
            ApiError::TooLarge(limit) => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
                format!("the body exceeds {limit} bytes (--max-body-mb)"),
            ),
            ApiError::Write(e @ WriteError::Invalid(_)) => {
                plain(StatusCode::BAD_REQUEST, "invalid record", e.to_string())
            }
            ApiError::Write(e @ WriteError::Forbidden(_)) => {
                plain(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            ApiError::Write(e @ WriteError::ChainStorage(_)) => plain(
                StatusCode::NOT_IMPLEMENTED,
                "not implemented",
                e.to_string(),
            ),
            ApiError::Unauthorized(why) => plain(
                StatusCode::UNAUTHORIZED,
                "authentication required",
                why.clone(),
            ),
            ApiError::Calendar(message) => {
                let body = json!({"success": false, "error": "Forbidden", "message": message, "detail": message});
                (
                    StatusCode::FORBIDDEN,
                    body.as_object().cloned().unwrap_or_default(),
                )
            }
            ApiError::ReadOnly(why) => plain(StatusCode::FORBIDDEN, "forbidden", why.clone()),
            ApiError::SoulDenied => plain(
                StatusCode::FORBIDDEN,
                "Access denied to this record",
                "soul must start with the 12-hex hash of the token's publicKey".into(),
            ),
            ApiError::Replica(primary) => {
                let body = json!({"error": "read-only replica",
                    "detail": format!("this node follows {primary} (serve --follow) and takes no writes: send them to the primary at {primary}"),
                    "primary": primary});
                (
                    StatusCode::FORBIDDEN,
                    body.as_object().cloned().unwrap_or_default(),
                )
            }
            ApiError::DeleteShape(text) => plain(StatusCode::BAD_REQUEST, text, (*text).to_owned()),
            ApiError::Write(WriteError::NotOwner(did)) => {
                let body = json!({"error": "Access denied. You can only delete records that you own.", "did": did,
                    "detail": "deleteRecord needs the token's publicKey to own the record"});
                (
                    StatusCode::FORBIDDEN,
                    body.as_object().cloned().unwrap_or_default(),
                )
            }
            ApiError::Write(WriteError::NotFound(did)) => {
                let body = json!({"error": "Record not found", "did": did,
                    "detail": format!("no record {did} that this caller may see")});
                (
                    StatusCode::NOT_FOUND,
                    body.as_object().cloned().unwrap_or_default(),
                )
            }
            ApiError::NotFound(path) => plain(
                StatusCode::NOT_FOUND,
                "not found",
                format!("no route for {path}; the API lives under /api/records and /api/health"),
            ),
            ApiError::MethodNotAllowed { method, path, .. } => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed",
                format!("{method} is not allowed on {path}"),
            ),
            ApiError::Busy => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "server busy",
                "too many responses are streaming and the queue is full or its wait ran out; retry after the Retry-After seconds (--max-streams, --max-queue, --queue-wait-ms)".into(),
            ),
            ApiError::FeedBusy(max) => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "server busy",
                format!("{max} change-feed listeners (long polls with wait, SSE streams) are held, the most this node allows (--max-feed-listeners); retry after the Retry-After seconds, or read without wait"),
            ),
            ApiError::WriteTimeout(secs) => plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "write timed out",
                format!("the store did not finish the write within {secs} s (--write-timeout-secs); it may still land: retrying is safe"),
            ),
            ApiError::Store(e @ StoreError::NoSpace(_)) => plain(
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient storage",
                format!("{e}; nothing was written, reads go on, retry once the operator frees disk space"),
            ),
            ApiError::Store(e) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                e.to_string(),
            ),
        }
    }
}

impl From<WriteFailure> for ApiError {
    fn from(e: WriteFailure) -> ApiError {
        match e {
            WriteFailure::Refused(e) => ApiError::Write(e),
            WriteFailure::Store(e) => ApiError::Store(e),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, body) = self.parts();
        if status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED {
            log::error!("{self}");
        }
        let mut response = HttpResponse::build(status);
        // A streaming slot frees within the queue's wait; disk space needs an operator.
        let retry = match status {
            StatusCode::SERVICE_UNAVAILABLE => Some("1"),
            StatusCode::INSUFFICIENT_STORAGE => Some("60"),
            _ => None,
        };
        if let Some(seconds) = retry {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        if let ApiError::MethodNotAllowed { allow, .. } = self {
            response.insert_header((actix_web::http::header::ALLOW, allow.as_str()));
        }
        response.json(body)
    }
}
