//! Logging: human-readable lines by default, JSON with `AUTHDB__LOG__FORMAT=json`;
//! the level comes from `RUST_LOG`. Logs go to standard error.
//!
//! Without `RUST_LOG` the server logs at `info` ([`SERVER_FILTER`]), and the other
//! commands (`migrate`, `create-superuser`) log nothing ([`COMMAND_FILTER`]): they print
//! their own results, and a failure is the one `authdb: ...` line `main` prints.

use tracing_subscriber::{EnvFilter, fmt};

use crate::settings::LogFormat;

/// What `authdb serve` logs when `RUST_LOG` is unset.
pub const SERVER_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// What the one-shot commands log when `RUST_LOG` is unset: nothing.
pub const COMMAND_FILTER: &str = "off";

/// Installs the global subscriber with the server's default level; a second call (as in
/// tests) is a no-op.
pub fn init(format: LogFormat) {
    init_with_default(format, SERVER_FILTER);
}

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is unset.
pub fn init_with_default(format: LogFormat, default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _already_set = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
