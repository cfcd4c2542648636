//! Turning an [`OutgoingMail`] into an RFC 5322 message: the one definition every
//! transport uses, so the `.eml` a developer reads is what SMTP would have carried.

use authdb_service::{MailError, OutgoingMail};
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};

use crate::error::MailSetupError;

pub(crate) fn parse_from(from: &str) -> Result<Mailbox, MailSetupError> {
    from.trim()
        .parse::<Mailbox>()
        .map_err(|error| MailSetupError::From(format!("must be an address or `Name <address>`, got {from:?}: {error}")))
}

/// The message with a `multipart/alternative` body (text first, then HTML), a `Date` and
/// a `Message-ID`. An address lettre cannot write is permanent: trying again cannot help.
pub(crate) fn build(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    let to = mail
        .to
        .as_ref()
        .parse::<Mailbox>()
        .map_err(|error| MailError::Permanent(format!("the recipient cannot be written in a message: {error}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        // `None` asks lettre for a random id at this host's name.
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|error| MailError::Permanent(format!("the message cannot be built: {error}")))
}
