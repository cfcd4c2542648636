//! The console's one stylesheet, compiled into the binary and served under a path that
//! carries a hash of its content, so it can be cached for a year and a new build's
//! stylesheet is a new URL.

use std::{
    hash::{DefaultHasher, Hasher as _},
    sync::LazyLock,
};

use actix_web::{HttpResponse, http::header, web};

const STYLESHEET: &str = include_str!("../assets/console.css");

/// `/console/assets/<hash>/console.css`.
pub(crate) static STYLESHEET_PATH: LazyLock<String> =
    LazyLock::new(|| format!("{}/assets/{}/console.css", crate::config::MOUNT, content_hash(STYLESHEET.as_bytes())));

/// A hash of `bytes` (SipHash with fixed keys: the same in every process of one build).
fn content_hash(bytes: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{hash}/console.css", web::get().to(stylesheet));
}

/// The stylesheet, under its current hash only (an old hash is a 404, never stale bytes
/// cached for a year under a new name).
async fn stylesheet(hash: web::Path<String>) -> HttpResponse {
    if *hash != content_hash(STYLESHEET.as_bytes()) {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(STYLESHEET)
}
