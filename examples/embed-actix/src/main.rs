//! `embed-actix`: the notes service on a socket.
//!
//! `NOTES_DATABASE_URL` (default `sqlite://notes.db?mode=rwc`), `NOTES_JWT_SECRET` (at
//! least 32 bytes, required), `NOTES_BIND` (default `127.0.0.1:8090`).

use actix_web::{App, HttpServer};
use authdb_api::RateLimitConfig;
use embed_actix::{NotesApp, NotesConfig};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("NOTES_JWT_SECRET").map_err(|_| "set NOTES_JWT_SECRET (at least 32 bytes)")?;
    let config = NotesConfig {
        database_url: std::env::var("NOTES_DATABASE_URL").unwrap_or_else(|_| "sqlite://notes.db?mode=rwc".into()),
        jwt_secret: secret.into(),
        issuer: "embed-actix".into(),
        bcrypt_cost: 12,
        rate_limit: RateLimitConfig {
            enabled: true,
            auth_per_minute: 20,
            api_per_minute: 100,
            chat_posts_per_minute: 120,
            redis: None,
        },
    };
    let bind = std::env::var("NOTES_BIND").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let app = NotesApp::start(config).await?;
    let configure = app.configure();
    HttpServer::new(move || App::new().configure(configure.clone())).bind(bind)?.run().await?;
    Ok(())
}
