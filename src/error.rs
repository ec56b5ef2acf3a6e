//! [`ApiError`]: the only type that knows HTTP status codes. Every error response is JSON
//! `{"error": "<what>", "detail": "<why / how to fix>"}` (decisions.md "Errors").
//!
//! Owns: mapping each layer's error to a status, `error` and `detail`. Must not: be constructed
//! after a response's first byte (faults then close the connection, see `http::body`).

use crate::query::QueryError;
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// An error answered before any body byte is sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter is malformed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The query string itself does not decode.
    #[error("malformed query string: {0}")]
    QueryString(String),
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
    },
    /// Every streaming slot is taken (`--max-streams`).
    #[error("too many responses in flight")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::Query(e) => (
                StatusCode::BAD_REQUEST,
                "invalid query parameter",
                e.to_string(),
            ),
            ApiError::QueryString(e) => {
                (StatusCode::BAD_REQUEST, "malformed query string", e.clone())
            }
            ApiError::NotFound(path) => (
                StatusCode::NOT_FOUND,
                "not found",
                format!("no route for {path}; the API lives under /api/records and /api/health"),
            ),
            ApiError::MethodNotAllowed { method, path } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed",
                format!("{method} is not allowed on {path}"),
            ),
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server busy",
                "too many responses are streaming; retry shortly (limit: --max-streams)".into(),
            ),
            ApiError::Store(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                e.to_string(),
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, error, detail) = self.parts();
        if status.is_server_error() {
            log::error!("{error}: {detail}");
        }
        HttpResponse::build(status).json(serde_json::json!({"error": error, "detail": detail}))
    }
}
