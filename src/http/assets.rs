//! The web page: files of `static/` embedded at compile time, so `oipd serve` works from any
//! directory, served with their content types. The page uses the public API only.
//!
//! Cache policy: every file is revalidated (`no-cache` with an ETag of the build), so a new
//! binary never serves a stale script yet an unchanged one costs a 304.

use super::Endpoint;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

/// `(path, content type, body)` of every embedded file.
const FILES: [(&str, &str, &str); 6] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../static/index.html"),
    ),
    (
        "/app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    ),
    (
        "/api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/api.js"),
    ),
    (
        "/record.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/record.js"),
    ),
    (
        "/memory.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/memory.js"),
    ),
];

/// The ETag of every file: a hash of all of them, so any edit (even one that keeps a file's
/// length) gives a new tag, computed once per process.
fn etag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| tag_of(&FILES))
}

fn tag_of(files: &[(&str, &str, &str)]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    for (path, _, body) in files {
        (path, body).hash(&mut hasher);
    }
    format!("\"{}-{:016x}\"", env!("CARGO_PKG_VERSION"), hasher.finish())
}

/// One GET route per embedded file.
pub(super) fn endpoints() -> impl Iterator<Item = Endpoint> {
    FILES.into_iter().map(|(path, content_type, body)| {
        Endpoint::get(path, move |req: HttpRequest| async move {
            serve(&req, content_type, body)
        })
    })
}

fn serve(req: &HttpRequest, content_type: &'static str, body: &'static str) -> HttpResponse {
    let tag = etag();
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == tag);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, tag));
    if fresh {
        response.finish()
    } else {
        response.body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::{etag, tag_of, FILES};

    /// Every module a script imports (`from './x.js'`) is embedded: a file added to `static/`
    /// but not to `FILES` would break the page only in a browser.
    #[test]
    fn every_imported_module_is_embedded() {
        let mut imports = 0;
        for (path, _, body) in FILES.iter().filter(|(p, _, _)| p.ends_with(".js")) {
            for rest in body.split("from './").skip(1) {
                let name = rest.split('\'').next().unwrap_or_default();
                let wanted = format!("/{name}");
                assert!(
                    FILES.iter().any(|(p, _, _)| *p == wanted),
                    "{path} imports {wanted}, which is not embedded"
                );
                imports += 1;
            }
        }
        assert!(imports >= 5, "found only {imports} imports");
    }

    #[test]
    fn an_edit_that_keeps_the_length_changes_the_tag() {
        let before = [("/app.js", "text/javascript", "let a = 1;")];
        let after = [("/app.js", "text/javascript", "let b = 1;")];
        assert_ne!(tag_of(&before), tag_of(&after));
        assert_eq!(tag_of(&before), tag_of(&before));
        assert_eq!(etag(), tag_of(&FILES));
    }
}
