use sea_orm::{DbErr, RuntimeErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum PersistenceError {
    /// A unique constraint refused the write; `fields` names the clashing values (one,
    /// or several when the repository checked which are taken).
    #[error("{} already taken", describe_conflict(.fields))]
    Conflict { fields: &'static [&'static str] },
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The database did not answer in time or the connection is gone: retry later.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
    /// Opening the pool failed; the message says why (refused, authentication, ...).
    #[error("{0}")]
    Connect(String),
    #[error("unsupported database URL: {0} (expected sqlite: or postgres:)")]
    UnsupportedUrl(String),
    #[error("database error")]
    Database(#[source] DbErr),
    /// A stored value no longer parses as the domain type it was stored as.
    #[error("stored {entity}.{field} is invalid: {message}")]
    Corrupt { entity: &'static str, field: &'static str, message: String },
}

pub type Result<T, E = PersistenceError> = std::result::Result<T, E>;

impl From<DbErr> for PersistenceError {
    fn from(error: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(message)) = error.sql_err() {
            return Self::Conflict { fields: conflicting_field(&message) };
        }
        if is_unavailable(&error) {
            return Self::Unavailable(error);
        }
        Self::Database(error)
    }
}

/// `email is`, `email and username are`: the fields of a conflict and the verb that
/// agrees with them.
pub fn describe_conflict(fields: &[&str]) -> String {
    match fields {
        [] => "a value is".to_owned(),
        [field] => format!("{field} is"),
        fields => format!("{} are", fields.join(" and ")),
    }
}

/// Constraint names (`uq_users_email`) and SQLite's column lists (`users.email`) both
/// contain the column, which is what callers report back to clients.
fn conflicting_field(message: &str) -> &'static [&'static str] {
    // `name` last: `username` contains it.
    static FIELDS: [&str; 6] = ["credential_id", "username", "email", "slug", "token_hash", "name"];
    FIELDS.iter().find(|field| message.contains(**field)).map_or(&["value"][..], std::slice::from_ref)
}

fn is_unavailable(error: &DbErr) -> bool {
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            matches!(
                inner.as_ref(),
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed
            ) || is_transient(inner)
        }
        _ => false,
    }
}

/// Whether the database refused for a reason a retry resolves (see [`transient_code`]).
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
        _ => false,
    }
}

/// Error codes a retry resolves: SQLite's "database is locked" after the busy timeout
/// (5, 6, 517); PostgreSQL's deadlock and serialization failures (40P01, 40001), its
/// connection exceptions (class 08) and the server shutting down or starting up (57P01
/// admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), which a connection
/// taken from the pool just before an outage answers with.
fn transient_code(code: &str) -> bool {
    matches!(code, "5" | "6" | "517" | "40P01" | "40001" | "57P01" | "57P02" | "57P03") || code.starts_with("08")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_and_contention_are_transient_other_errors_are_not() {
        for code in ["5", "517", "40P01", "40001", "57P01", "57P03", "08006", "08003"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["23505", "42P01", "57014", "22001", "1"] {
            assert!(!transient_code(code), "{code}");
        }
    }

    #[test]
    fn conflicts_name_the_clashing_column() {
        assert_eq!(conflicting_field("UNIQUE constraint failed: users.email"), ["email"]);
        assert_eq!(conflicting_field("UNIQUE constraint failed: users.username_key"), ["username"]);
        assert_eq!(
            conflicting_field("duplicate key value violates unique constraint \"uq_users_username_key\""),
            ["username"]
        );
        assert_eq!(conflicting_field("duplicate key value violates unique constraint \"uq_users_email\""), ["email"]);
        assert_eq!(conflicting_field("something else"), ["value"]);
    }

    #[test]
    fn conflicts_read_as_one_sentence() {
        assert_eq!(PersistenceError::Conflict { fields: &["email"] }.to_string(), "email is already taken");
        assert_eq!(
            PersistenceError::Conflict { fields: &["email", "username"] }.to_string(),
            "email and username are already taken"
        );
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        let error = PersistenceError::from(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout));
        assert!(matches!(error, PersistenceError::Unavailable(_)));
    }
}
