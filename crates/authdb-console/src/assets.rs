//! The console's stylesheet and its one script, compiled into the binary and served under
//! paths that carry a hash of their content, so they can be cached for a year and a new
//! build's asset is a new URL.

use std::{
    hash::{DefaultHasher, Hasher as _},
    sync::LazyLock,
};

use actix_web::{HttpResponse, http::header, web};

const STYLESHEET: &str = include_str!("../assets/console.css");
/// The passkey ceremonies (WebAuthn needs `navigator.credentials`, in the browser): the
/// only script of the console, loaded by the pages that offer a passkey.
const SCRIPT: &str = include_str!("../assets/console.js");

/// `/console/assets/<hash>/console.css`.
pub(crate) static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| asset_path(STYLESHEET, "console.css"));

/// `/console/assets/<hash>/console.js`.
pub(crate) static SCRIPT_PATH: LazyLock<String> = LazyLock::new(|| asset_path(SCRIPT, "console.js"));

fn asset_path(content: &str, name: &str) -> String {
    format!("{}/assets/{}/{name}", crate::config::MOUNT, content_hash(content.as_bytes()))
}

/// A hash of `bytes` (SipHash with fixed keys: the same in every process of one build).
fn content_hash(bytes: &[u8]) -> String {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{hash}/console.css", web::get().to(stylesheet))
        .route("/assets/{hash}/console.js", web::get().to(script));
}

/// The stylesheet, under its current hash only (an old hash is a 404, never stale bytes
/// cached for a year under a new name).
async fn stylesheet(hash: web::Path<String>) -> HttpResponse {
    asset(&hash, STYLESHEET, "text/css; charset=utf-8")
}

/// The script, under its current hash only.
async fn script(hash: web::Path<String>) -> HttpResponse {
    asset(&hash, SCRIPT, "text/javascript; charset=utf-8")
}

fn asset(hash: &str, content: &'static str, content_type: &'static str) -> HttpResponse {
    if hash != content_hash(content.as_bytes()) {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(content)
}
