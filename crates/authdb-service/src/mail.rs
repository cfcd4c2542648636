//! The mail port: what the service layer asks of a mail transport, and nothing of how it
//! is done. The transports (`file`, `none`, `smtp`) live in the `authdb-mail` crate and the
//! binary chooses one from `mail.transport`; this crate depends on no mail library.

use std::{fmt, future::Future, pin::Pin};

use authdb_domain::Email;

/// A rendered message to one recipient: the subject and both bodies are final text.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: Email,
    pub subject: String,
    /// The plain-text body (every message has one).
    pub text: String,
    /// The HTML alternative of the same content.
    pub html: String,
}

/// The bodies carry single-use links, so `Debug` shows the recipient and subject only.
impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("to", &self.to.as_ref())
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Why a message was not delivered; the difference decides whether it is tried again.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The peer may accept it later (connection refused, timeout, a 4xx reply, a full
    /// disk): the message is tried again.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// The peer will never accept it (a 5xx reply, an address it rejects): trying again
    /// cannot help.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// The future a [`Mailer`] answers: boxed so the port can be used as `dyn Mailer`.
pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// A mail transport. Implementations deliver one message per call and never log a body
/// (bodies carry single-use links).
pub trait Mailer: Send + Sync + fmt::Debug {
    /// The transport's name as `mail.transport` spells it (`file`, `none`, `smtp`).
    fn name(&self) -> &'static str;

    /// Whether messages actually leave this process (false for `none`).
    fn delivers(&self) -> bool {
        true
    }

    /// Delivers one message: `Ok` once the transport has taken it (the file is written,
    /// the SMTP peer accepted it, or `none` dropped it).
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a>;
}
