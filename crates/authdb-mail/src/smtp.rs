//! The `smtp` transport: lettre over rustls.

use std::{fmt, path::PathBuf, time::Duration};

use authdb_service::{MailError, MailFuture, Mailer, OutgoingMail};
use lettre::{
    AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor,
    message::Mailbox,
    transport::smtp::{
        Error as SmtpError,
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
    },
};
use secrecy::{ExposeSecret as _, SecretString};
use url::Url;

use crate::{error::MailSetupError, message};

/// The port `smtp://` uses when the URL names none (message submission, RFC 6409).
pub const SUBMISSION_PORT: u16 = 587;
/// The port `smtps://` uses when the URL names none (submission over TLS, RFC 8314).
pub const SUBMISSIONS_PORT: u16 = 465;

/// Whether an `smtp://` connection upgrades to TLS with STARTTLS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StartTls {
    /// Upgrade, or fail (the message is tried again later) when the server does not offer it.
    #[default]
    Required,
    /// Upgrade when the server offers it, otherwise send in clear text.
    Opportunistic,
    /// Never upgrade: clear text (a relay on the same host or a trusted network).
    Never,
}

/// How to reach the SMTP server.
#[derive(Clone)]
pub struct SmtpConfig {
    /// `smtp://host[:port]` or `smtps://host[:port]`, without credentials.
    pub url: String,
    /// Ignored for `smtps://`, which is TLS from the first byte.
    pub starttls: StartTls,
    /// Both or neither; `AUTH PLAIN` or `LOGIN` is only sent over TLS by lettre's default
    /// mechanisms when the server offers them.
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// How long connecting and each SMTP command may take.
    pub timeout: Duration,
    /// A PEM file of certificate authorities trusted besides the public roots (a private
    /// relay's own CA, or its self-signed certificate).
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.url)
            .field("starttls", &self.starttls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// Sends each message over its own SMTP connection (no pool: mail is rare and a worker
/// sends it in the background).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `host:port`, for logs.
    server: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer").field("server", &self.server).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    pub fn new(config: &SmtpConfig, from: Mailbox) -> Result<Self, MailSetupError> {
        let url = Url::parse(config.url.trim()).map_err(|error| MailSetupError::SmtpUrl(error.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(MailSetupError::SmtpUrl(
                "must not hold a user name or password: set AUTHDB__MAIL__SMTP_USERNAME and AUTHDB__MAIL__SMTP_PASSWORD"
                    .into(),
            ));
        }
        if !(url.path().is_empty() || url.path() == "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(MailSetupError::SmtpUrl(
                "must be smtp://host[:port] or smtps://host[:port], nothing more".into(),
            ));
        }
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| MailSetupError::SmtpUrl("must name a host".into()))?;
        // An IPv6 literal comes bracketed; the connection and the certificate check want it bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let parameters = || tls_parameters(&host, config.ca_file.as_ref());
        let (port, tls) = match url.scheme() {
            "smtps" => (url.port().unwrap_or(SUBMISSIONS_PORT), Tls::Wrapper(parameters()?)),
            "smtp" => {
                let tls = match config.starttls {
                    StartTls::Required => Tls::Required(parameters()?),
                    StartTls::Opportunistic => Tls::Opportunistic(parameters()?),
                    StartTls::Never => Tls::None,
                };
                (url.port().unwrap_or(SUBMISSION_PORT), tls)
            }
            other => {
                return Err(MailSetupError::SmtpUrl(format!("must start with smtp:// or smtps://, got {other}://")));
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(config.timeout));
        match (&config.username, &config.password) {
            (Some(username), Some(password)) => {
                builder = builder.credentials(Credentials::new(username.clone(), password.expose_secret().to_owned()));
            }
            (None, None) => {}
            _ => {
                return Err(MailSetupError::SmtpUrl(
                    "AUTHDB__MAIL__SMTP_USERNAME and AUTHDB__MAIL__SMTP_PASSWORD go together: set both or neither"
                        .into(),
                ));
            }
        }
        let server = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        Ok(Self { transport: builder.build(), from, server })
    }

    /// `host:port` of the server.
    pub fn server(&self) -> &str {
        &self.server
    }
}

fn tls_parameters(host: &str, ca_file: Option<&PathBuf>) -> Result<TlsParameters, MailSetupError> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(path) = ca_file {
        let failed = |message: String| MailSetupError::CaFile { path: path.display().to_string(), message };
        let pem = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
        let certificate = Certificate::from_pem(&pem).map_err(|error| failed(error.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|error| MailSetupError::Tls(error.to_string()))
}

impl Mailer for SmtpMailer {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            let message = message::build(&self.from, mail)?;
            self.transport.send(message).await.map(drop).map_err(classify)
        })
    }
}

/// A 5xx reply is permanent; everything else (a 4xx reply, a refused or timed-out
/// connection, a TLS failure, a server that does not offer STARTTLS) may pass.
fn classify(error: SmtpError) -> MailError {
    let message = error.to_string();
    if error.is_permanent() { MailError::Permanent(message) } else { MailError::Transient(message) }
}
