//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, checked in beside this file
//! (`openapi.json`) and embedded at compile time.
//!
//! Why a checked-in document and not one derived from the code (utoipa): handlers read raw query
//! pairs that `query::` parses, and `/api/records` streams an envelope that `render` writes by
//! hand, so a derive would need a parallel set of annotated types and `#[utoipa::path]`
//! attributes on every handler, repeating each parameter beside the parser that already owns
//! it. The document is kept true instead by the tests below (every endpoint of the route table
//! documented, nothing documented that is not served, every error code listed) and by CI's
//! schemathesis run against the binary (`.ci/schemathesis`).
//!
//! Owns: serving the document. Must not: build it at run time.

use actix_web::HttpResponse;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /api/openapi.json`.
pub(super) async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT)
}

#[cfg(test)]
mod tests;
