//! Response format from `?format=` or the `Accept` header (decisions.md "Formats").

use crate::query::Format;
use actix_web::http::header::{HeaderMap, ACCEPT};

/// `format=` wins; else MessagePack when `Accept` names it; else JSON.
pub fn format(requested: Option<Format>, headers: &HeaderMap) -> Format {
    if let Some(f) = requested {
        return f;
    }
    let accept = headers
        .get_all(ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    for media in accept {
        if media == "application/msgpack" || media == "application/x-msgpack" {
            return Format::MsgPack;
        }
    }
    Format::Json
}
