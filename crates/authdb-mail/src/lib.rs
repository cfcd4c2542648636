//! The mail transports behind `authdb_service::Mailer`, chosen by `mail.transport`:
//!
//! - [`FileMailer`] (`file`, the default): each message is an RFC 5322 `.eml` file in a
//!   directory (`<data_dir>/outbox/`), readable by this user only, so a developer can read
//!   what would have been sent;
//! - [`NoMailer`] (`none`): messages are dropped (the server says so at start);
//! - [`SmtpMailer`] (`smtp`): lettre over rustls, `smtp://` with STARTTLS required,
//!   opportunistic or off, or `smtps://` (TLS from the first byte).
//!
//! The service layer sees only the port; this crate is wired in by the binary. No
//! transport logs a message body: bodies carry single-use links.

mod error;
mod file;
mod message;
mod smtp;

use std::{path::PathBuf, sync::Arc};

use authdb_service::{MailFuture, Mailer, OutgoingMail};

pub use error::MailSetupError;
pub use file::FileMailer;
pub use smtp::{SUBMISSION_PORT, SUBMISSIONS_PORT, SmtpConfig, SmtpMailer, StartTls};

/// Which transport delivers mail, and its configuration.
#[derive(Debug, Clone)]
pub enum TransportConfig {
    /// Write each message as an `.eml` file into `dir`.
    File {
        dir: PathBuf,
    },
    /// Send nothing.
    None,
    Smtp(SmtpConfig),
}

/// What every transport needs besides its own configuration.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The `From` mailbox, `Name <address>` or a bare address.
    pub from: String,
    pub transport: TransportConfig,
}

/// Checks a `From` mailbox (`mail.from`) without building anything, for settings
/// validation; the error is the reason, without the setting's name.
pub fn check_from(from: &str) -> Result<(), String> {
    message::parse_from(from).map(drop).map_err(|error| match error {
        MailSetupError::From(reason) => reason,
        other => other.to_string(),
    })
}

/// Builds the configured transport. The file transport creates its directory (mode 0700)
/// now, so a directory that cannot be written stops the start instead of the first mail.
pub fn build(config: &MailConfig) -> Result<Arc<dyn Mailer>, MailSetupError> {
    let from = message::parse_from(&config.from)?;
    Ok(match &config.transport {
        TransportConfig::File { dir } => Arc::new(FileMailer::new(dir.clone(), from)?),
        TransportConfig::None => Arc::new(NoMailer),
        TransportConfig::Smtp(smtp) => Arc::new(SmtpMailer::new(smtp, from)?),
    })
}

/// The `none` transport: every message is dropped as if delivered.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMailer;

impl Mailer for NoMailer {
    fn name(&self) -> &'static str {
        "none"
    }

    fn delivers(&self) -> bool {
        false
    }

    fn send<'a>(&'a self, _mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests;
