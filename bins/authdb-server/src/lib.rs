//! The `authdb` server: typed settings, telemetry, the CLI and the wiring of every layer
//! into one actix-web application.
//!
//! This is the composition root, so it is the one crate that names every layer;
//! `main.rs` only parses the command line, loads settings, starts telemetry and runs.

pub mod cli;
mod secret;
pub mod settings;
mod startup;
pub mod telemetry;

pub use settings::{Settings, SettingsError};
pub use startup::{Application, StartupError, build_agent, build_mailer, build_services};
