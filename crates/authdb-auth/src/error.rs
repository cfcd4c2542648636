#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the JWT secret must be at least {min} bytes, got {actual}")]
    SecretTooShort { min: usize, actual: usize },
    #[error("signing key {name}: {reason}")]
    InvalidSigningKey { name: String, reason: String },
    #[error("{0} needs at least one signing key")]
    /// The algorithm by its JOSE name.
    NoSigningKey(&'static str),
    #[error("the bcrypt cost must be between 4 and 31, got {0}")]
    InvalidCost(u32),
    /// The access token is missing a claim, expired, forged or meant for someone else.
    /// Deliberately carries no detail that would help an attacker.
    #[error("invalid access token")]
    InvalidToken,
    #[error("could not sign a token")]
    Signing(#[source] jsonwebtoken::errors::Error),
    #[error("password hashing failed")]
    Hashing(#[source] bcrypt::BcryptError),
    #[error("the hashing task did not finish")]
    HashingTask(#[source] tokio::task::JoinError),
    /// A sealed second-factor secret did not open (another key, another user, altered).
    #[error("a sealed secret could not be opened")]
    Sealing,
    #[error("the operating system's random number generator failed")]
    Random(#[source] getrandom::Error),
}

pub type Result<T, E = AuthError> = std::result::Result<T, E>;
