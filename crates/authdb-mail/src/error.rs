//! Why a transport could not be set up.

/// Why a transport could not be set up; each names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("invalid setting AUTHDB__MAIL__FROM: {0}")]
    From(String),
    #[error("cannot create the mail directory {path} (AUTHDB__DATA_DIR): {source}")]
    Directory { path: String, source: std::io::Error },
    #[error("invalid setting AUTHDB__MAIL__SMTP_URL: {0}")]
    SmtpUrl(String),
    #[error("cannot use AUTHDB__MAIL__SMTP_CA_FILE {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("cannot set up TLS for the SMTP server: {0}")]
    Tls(String),
}
