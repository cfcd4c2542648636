//! authdb's web console: server-rendered HTML pages at `/console`, another adapter over
//! the service layer beside `authdb-api` (it calls the same use cases; it is not a client
//! of the JSON API).
//!
//! Module map:
//! - `app`: [`configure`], which mounts the console's scope;
//! - `pages/`: one module per page or group of pages; `pages/mod.rs` mounts them, and
//!   `nav` lists the ones the navigation shows (adding a page: a module, one line in each);
//! - `session`: `SignedIn`, the extractor every signed-in page takes: the
//!   cookies verified like a bearer token, refreshed transparently;
//! - `cookies`: the cookies themselves (names, flags, reading, queueing on the answer);
//! - `form`: form bodies and the CSRF check every unsafe form post passes through;
//! - `json`: the JSON endpoints of the passkey ceremonies (the script's requests, their
//!   CSRF token in a header) and their JSON errors;
//! - `layout`: the page skeleton, navigation, error, alert and confirmation markup, and
//!   `ConsolePath` (a path safe to come back to);
//! - `paging`: lists a page at a time like the API (`limit`, `offset`, the pager links);
//! - `tenant`: the organization a page's path names, opened for a permission like the API;
//! - `error`: [`ConsoleError`], the one place errors become statuses and pages;
//! - `headers`: the security headers of every console response;
//! - `assets`: the stylesheet and the script (the passkey ceremonies), compiled in and
//!   served under content-hashed paths;
//! - `config`: [`ConsoleConfig`] and the state the handlers share.
//!
//! Templates are `maud` macros: compiled with the crate, escaped by default. Nothing here
//! is inline script or style, so the Content-Security-Policy allows neither; the one script
//! (`assets/console.js`, WebAuthn in the browser) is loaded from its own path.

mod app;
mod assets;
mod config;
mod cookies;
mod error;
mod form;
mod headers;
mod json;
mod layout;
mod nav;
mod pages;
mod paging;
mod session;
mod tenant;

pub use app::configure;
pub use config::{ConsoleConfig, MOUNT};
pub use error::ConsoleError;
