//! The messages authdb mails and their templates: a subject, a plain-text body and an
//! HTML body per kind of message, rendered with minijinja.
//!
//! The templates are compiled into the binary (`templates/mail/`); an operator may
//! override any of them with a file of the same name in `mail.templates_dir`. Every
//! template is rendered once with sample values when the server starts, with undefined
//! variables an error, so a missing directory, an unknown file name, a syntax error or a
//! misspelt variable refuses the start instead of failing the first message. HTML
//! templates (`.html`) escape what they insert; the subject and text ones do not.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use authdb_auth::OpaqueToken;
use authdb_domain::Email;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use crate::OutgoingMail;

/// The kinds of message, each with its three templates `<kind>.subject.txt`, `<kind>.txt`
/// and `<kind>.html`.
const KINDS: [&str; 11] = [
    VERIFY_EMAIL,
    ACCOUNT_EXISTS,
    PASSWORD_RESET,
    PASSWORD_CHANGED,
    NEW_SIGN_IN,
    ACCOUNT_LOCKED,
    CONFIRM_EMAIL_CHANGE,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    INVITATION,
    RECOVERY_CODE_USED,
];
const VERIFY_EMAIL: &str = "verify_email";
const ACCOUNT_EXISTS: &str = "account_exists";
const PASSWORD_RESET: &str = "password_reset";
const PASSWORD_CHANGED: &str = "password_changed";
const NEW_SIGN_IN: &str = "new_sign_in";
const ACCOUNT_LOCKED: &str = "account_locked";
const CONFIRM_EMAIL_CHANGE: &str = "confirm_email_change";
const EMAIL_CHANGE_REQUESTED: &str = "email_change_requested";
const EMAIL_CHANGED: &str = "email_changed";
const INVITATION: &str = "invitation";
const RECOVERY_CODE_USED: &str = "recovery_code_used";

/// The templates compiled into the binary, by file name.
const BUILT_IN: [(&str, &str); 33] = [
    ("recovery_code_used.subject.txt", include_str!("../templates/mail/recovery_code_used.subject.txt")),
    ("recovery_code_used.txt", include_str!("../templates/mail/recovery_code_used.txt")),
    ("recovery_code_used.html", include_str!("../templates/mail/recovery_code_used.html")),
    ("verify_email.subject.txt", include_str!("../templates/mail/verify_email.subject.txt")),
    ("verify_email.txt", include_str!("../templates/mail/verify_email.txt")),
    ("verify_email.html", include_str!("../templates/mail/verify_email.html")),
    ("account_exists.subject.txt", include_str!("../templates/mail/account_exists.subject.txt")),
    ("account_exists.txt", include_str!("../templates/mail/account_exists.txt")),
    ("account_exists.html", include_str!("../templates/mail/account_exists.html")),
    ("password_reset.subject.txt", include_str!("../templates/mail/password_reset.subject.txt")),
    ("password_reset.txt", include_str!("../templates/mail/password_reset.txt")),
    ("password_reset.html", include_str!("../templates/mail/password_reset.html")),
    ("password_changed.subject.txt", include_str!("../templates/mail/password_changed.subject.txt")),
    ("password_changed.txt", include_str!("../templates/mail/password_changed.txt")),
    ("password_changed.html", include_str!("../templates/mail/password_changed.html")),
    ("new_sign_in.subject.txt", include_str!("../templates/mail/new_sign_in.subject.txt")),
    ("new_sign_in.txt", include_str!("../templates/mail/new_sign_in.txt")),
    ("new_sign_in.html", include_str!("../templates/mail/new_sign_in.html")),
    ("account_locked.subject.txt", include_str!("../templates/mail/account_locked.subject.txt")),
    ("account_locked.txt", include_str!("../templates/mail/account_locked.txt")),
    ("account_locked.html", include_str!("../templates/mail/account_locked.html")),
    ("confirm_email_change.subject.txt", include_str!("../templates/mail/confirm_email_change.subject.txt")),
    ("confirm_email_change.txt", include_str!("../templates/mail/confirm_email_change.txt")),
    ("confirm_email_change.html", include_str!("../templates/mail/confirm_email_change.html")),
    ("email_change_requested.subject.txt", include_str!("../templates/mail/email_change_requested.subject.txt")),
    ("email_change_requested.txt", include_str!("../templates/mail/email_change_requested.txt")),
    ("email_change_requested.html", include_str!("../templates/mail/email_change_requested.html")),
    ("email_changed.subject.txt", include_str!("../templates/mail/email_changed.subject.txt")),
    ("email_changed.txt", include_str!("../templates/mail/email_changed.txt")),
    ("email_changed.html", include_str!("../templates/mail/email_changed.html")),
    ("invitation.subject.txt", include_str!("../templates/mail/invitation.subject.txt")),
    ("invitation.txt", include_str!("../templates/mail/invitation.txt")),
    ("invitation.html", include_str!("../templates/mail/invitation.html")),
];

/// Where the templates come from and what every message carries.
#[derive(Debug, Clone)]
pub struct MailTemplatesConfig {
    /// A directory of overrides (`mail.templates_dir`); `None` uses the built-in ones.
    pub dir: Option<PathBuf>,
    /// The product named in every message (`mail.product_name`).
    pub product_name: String,
    /// The base URL links are built on, without a trailing slash (`server.public_url`).
    pub link_base: String,
}

/// Why the templates cannot be used; names the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the mail templates directory {path} (AUTHDB__MAIL__TEMPLATES_DIR): {reason}")]
    Directory { path: String, reason: String },
    #[error(
        "unknown mail template {path} (AUTHDB__MAIL__TEMPLATES_DIR): the templates are <kind>.subject.txt, \
         <kind>.txt and <kind>.html for the kinds {kinds}"
    )]
    Unknown { path: String, kinds: String },
    #[error("broken mail template {name}{origin}: {reason}")]
    Broken { name: String, origin: String, reason: String },
}

/// The compiled templates, with the product name and link base every message carries.
pub struct MailTemplates {
    env: Environment<'static>,
    product_name: String,
    link_base: String,
}

impl fmt::Debug for MailTemplates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailTemplates")
            .field("product_name", &self.product_name)
            .field("link_base", &self.link_base)
            .finish_non_exhaustive()
    }
}

/// One message to mail, with what its templates need. Tokens stay [`OpaqueToken`]s
/// (redacted in `Debug`) until rendered into the link.
#[derive(Debug)]
pub(crate) enum Message<'a> {
    /// The link that proves `to` is the user's address.
    VerifyEmail { to: &'a Email, username: &'a str, token: &'a OpaqueToken, valid_for: time::Duration },
    /// Someone registered with an address that already has an account.
    AccountExists { to: &'a Email, username: &'a str },
    /// The link that sets a new password.
    PasswordReset { to: &'a Email, username: &'a str, token: &'a OpaqueToken, valid_for: time::Duration },
    /// Notice: the password was changed (or reset).
    PasswordChanged { to: &'a Email, username: &'a str },
    /// Notice: a sign-in from a user agent and address pair not seen before for the user.
    NewSignIn { to: &'a Email, username: &'a str, user_agent: &'a str, ip: &'a str },
    /// Notice: failed sign-ins locked the account's login from one address.
    AccountLocked { to: &'a Email, username: &'a str, ip: &'a str },
    /// Notice: a recovery code was spent to sign in.
    RecoveryCodeUsed { to: &'a Email, username: &'a str, ip: &'a str, codes_left: u64 },
    /// The link that confirms a new address, mailed to that address (`to`).
    ConfirmEmailChange { to: &'a Email, username: &'a str, token: &'a OpaqueToken, valid_for: time::Duration },
    /// Notice to the current address (`to`) that a change to `new_email` was asked for.
    EmailChangeRequested { to: &'a Email, username: &'a str, new_email: &'a Email },
    /// Notice to the former address (`to`) that the account now has `new_email`.
    EmailChanged { to: &'a Email, username: &'a str, new_email: &'a Email },
    /// The link that accepts an invitation to `organization` in `role`, mailed to the
    /// invitee (`to`), who may not have an account yet.
    Invitation {
        to: &'a Email,
        organization: &'a str,
        inviter: &'a str,
        role: &'a str,
        token: &'a OpaqueToken,
        valid_for: time::Duration,
    },
}

impl Message<'_> {
    /// The kind, as stored in the outbox and named in the template files.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => VERIFY_EMAIL,
            Self::AccountExists { .. } => ACCOUNT_EXISTS,
            Self::PasswordReset { .. } => PASSWORD_RESET,
            Self::PasswordChanged { .. } => PASSWORD_CHANGED,
            Self::NewSignIn { .. } => NEW_SIGN_IN,
            Self::AccountLocked { .. } => ACCOUNT_LOCKED,
            Self::RecoveryCodeUsed { .. } => RECOVERY_CODE_USED,
            Self::ConfirmEmailChange { .. } => CONFIRM_EMAIL_CHANGE,
            Self::EmailChangeRequested { .. } => EMAIL_CHANGE_REQUESTED,
            Self::EmailChanged { .. } => EMAIL_CHANGED,
            Self::Invitation { .. } => INVITATION,
        }
    }

    fn to(&self) -> &Email {
        match self {
            Self::VerifyEmail { to, .. }
            | Self::AccountExists { to, .. }
            | Self::PasswordReset { to, .. }
            | Self::PasswordChanged { to, .. }
            | Self::NewSignIn { to, .. }
            | Self::AccountLocked { to, .. }
            | Self::RecoveryCodeUsed { to, .. }
            | Self::ConfirmEmailChange { to, .. }
            | Self::EmailChangeRequested { to, .. }
            | Self::EmailChanged { to, .. }
            | Self::Invitation { to, .. } => to,
        }
    }

    /// The variables of its templates, besides `product_name`.
    fn context(&self, link_base: &str) -> Value {
        match self {
            Self::VerifyEmail { to, username, token, valid_for } => context! {
                username => *username,
                email => to.as_ref(),
                link => format!("{link_base}/verify-email?token={}", token.expose()),
                valid_for => describe(*valid_for),
            },
            Self::AccountExists { to, username } => context! {
                username => *username,
                email => to.as_ref(),
                link => format!("{link_base}/reset-password"),
            },
            Self::PasswordReset { to, username, token, valid_for } => context! {
                username => *username,
                email => to.as_ref(),
                link => format!("{link_base}/reset-password?token={}", token.expose()),
                valid_for => describe(*valid_for),
            },
            Self::PasswordChanged { to, username } => context! {
                username => *username,
                email => to.as_ref(),
                link => format!("{link_base}/reset-password"),
            },
            Self::NewSignIn { to, username, user_agent, ip } => context! {
                username => *username,
                email => to.as_ref(),
                user_agent => *user_agent,
                ip => *ip,
                link => format!("{link_base}/reset-password"),
            },
            Self::AccountLocked { to, username, ip } => context! {
                username => *username,
                email => to.as_ref(),
                ip => *ip,
                link => format!("{link_base}/reset-password"),
            },
            Self::RecoveryCodeUsed { to, username, ip, codes_left } => context! {
                username => *username,
                email => to.as_ref(),
                ip => *ip,
                codes_left => *codes_left,
                link => format!("{link_base}/reset-password"),
            },
            Self::ConfirmEmailChange { to, username, token, valid_for } => context! {
                username => *username,
                email => to.as_ref(),
                link => format!("{link_base}/confirm-email-change?token={}", token.expose()),
                valid_for => describe(*valid_for),
            },
            Self::EmailChangeRequested { to, username, new_email } => context! {
                username => *username,
                email => to.as_ref(),
                new_email => new_email.as_ref(),
                link => format!("{link_base}/reset-password"),
            },
            Self::EmailChanged { to, username, new_email } => context! {
                username => *username,
                email => to.as_ref(),
                new_email => new_email.as_ref(),
            },
            Self::Invitation { to, organization, inviter, role, token, valid_for } => context! {
                email => to.as_ref(),
                organization => *organization,
                inviter => *inviter,
                role => *role,
                link => format!("{link_base}/accept-invitation?token={}", token.expose()),
                valid_for => describe(*valid_for),
            },
        }
    }
}

impl MailTemplates {
    /// Compiles the built-in templates and the overrides, and renders each once with
    /// sample values.
    pub fn load(config: MailTemplatesConfig) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in BUILT_IN {
            env.add_template(name, source).map_err(|error| broken(name, "", &error))?;
        }
        if let Some(dir) = &config.dir {
            for (name, path, source) in read_overrides(dir)? {
                let origin = format!(" ({})", path.display());
                env.add_template_owned(name.clone(), source).map_err(|error| broken(&name, &origin, &error))?;
            }
        }
        let templates = Self { env, product_name: config.product_name, link_base: config.link_base };
        templates.check(config.dir.as_deref())?;
        Ok(templates)
    }

    /// Renders every template with sample values, so that a template referring to a
    /// variable its message does not have is refused at start.
    fn check(&self, dir: Option<&Path>) -> Result<(), TemplateError> {
        let to = Email::parse("someone@example.com").map_err(|error| TemplateError::Broken {
            name: "sample".into(),
            origin: String::new(),
            reason: error.to_string(),
        })?;
        let token = OpaqueToken::generate().map_err(|error| TemplateError::Broken {
            name: "sample".into(),
            origin: String::new(),
            reason: error.to_string(),
        })?;
        let valid_for = time::Duration::hours(1);
        let samples = [
            Message::VerifyEmail { to: &to, username: "someone", token: &token, valid_for },
            Message::AccountExists { to: &to, username: "someone" },
            Message::PasswordReset { to: &to, username: "someone", token: &token, valid_for },
            Message::PasswordChanged { to: &to, username: "someone" },
            Message::NewSignIn { to: &to, username: "someone", user_agent: "a browser", ip: "192.0.2.1" },
            Message::AccountLocked { to: &to, username: "someone", ip: "192.0.2.1" },
            Message::RecoveryCodeUsed { to: &to, username: "someone", ip: "192.0.2.1", codes_left: 9 },
            Message::ConfirmEmailChange { to: &to, username: "someone", token: &token, valid_for },
            Message::EmailChangeRequested { to: &to, username: "someone", new_email: &to },
            Message::EmailChanged { to: &to, username: "someone", new_email: &to },
            Message::Invitation {
                to: &to,
                organization: "Example",
                inviter: "someone",
                role: "member",
                token: &token,
                valid_for,
            },
        ];
        for sample in &samples {
            self.render_checked(sample).map_err(|(name, error)| {
                let origin = dir
                    .map(|dir| dir.join(&name))
                    .filter(|path| path.is_file())
                    .map(|path| format!(" ({})", path.display()))
                    .unwrap_or_default();
                broken(&name, &origin, &error)
            })?;
        }
        Ok(())
    }

    /// Renders a message into its final form.
    pub(crate) fn render(&self, message: &Message<'_>) -> crate::Result<OutgoingMail> {
        self.render_checked(message).map_err(|(name, error)| {
            // The templates were all rendered at start, so this is a bug, not a setting.
            crate::ServiceError::Internal(format!("cannot render mail template {name}: {error}").into())
        })
    }

    fn render_checked(&self, message: &Message<'_>) -> Result<OutgoingMail, (String, minijinja::Error)> {
        let kind = message.kind();
        let context = context! { product_name => self.product_name.as_str(), ..message.context(&self.link_base) };
        let render = |suffix: &str| {
            let name = format!("{kind}{suffix}");
            self.env.get_template(&name).and_then(|template| template.render(&context)).map_err(|error| (name, error))
        };
        let subject = render(".subject.txt")?;
        // A subject is one line: line breaks in it would start new header fields.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(OutgoingMail { to: message.to().clone(), subject, text: render(".txt")?, html: render(".html")? })
    }
}

/// The template files of `dir`, each with the name of the built-in one it replaces.
fn read_overrides(dir: &Path) -> Result<Vec<(String, PathBuf, String)>, TemplateError> {
    let unreadable = |reason: String| TemplateError::Directory { path: dir.display().to_string(), reason };
    let entries = std::fs::read_dir(dir).map_err(|error| unreadable(error.to_string()))?;
    let mut overrides = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| unreadable(error.to_string()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || path.is_dir() {
            continue;
        }
        if !BUILT_IN.iter().any(|(known, _)| *known == name) {
            return Err(TemplateError::Unknown { path: path.display().to_string(), kinds: KINDS.join(", ") });
        }
        let source = std::fs::read_to_string(&path).map_err(|error| TemplateError::Broken {
            name: name.clone(),
            origin: format!(" ({})", path.display()),
            reason: error.to_string(),
        })?;
        overrides.push((name, path, source));
    }
    Ok(overrides)
}

fn broken(name: &str, origin: &str, error: &minijinja::Error) -> TemplateError {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    TemplateError::Broken { name: name.to_owned(), origin: origin.to_owned(), reason }
}

/// A validity period in words: "24 hours", "1 hour", "30 minutes".
fn describe(duration: time::Duration) -> String {
    let minutes = duration.whole_minutes().max(1);
    let (count, unit) = if minutes % (60 * 24) == 0 && minutes >= 60 * 48 {
        (minutes / (60 * 24), "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    if count == 1 { format!("1 {unit}") } else { format!("{count} {unit}s") }
}

#[cfg(test)]
mod tests;
