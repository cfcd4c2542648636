//! The command line: `serve` (the default), `migrate`, `create-superuser`.

use std::{
    io::{self, BufRead as _, IsTerminal as _},
    path::{Path, PathBuf},
};

use authdb_domain::{DomainError, Email, Username};
use authdb_service::{Registration, ServiceError, error_chain};
use clap::{Parser, Subcommand};

use crate::{
    Application, Settings, StartupError,
    startup::{build_services, connect},
};

#[derive(Debug, Parser)]
#[command(name = "authdb", version, about = "Authentication, tenancy and data server")]
pub struct Cli {
    /// Configuration file (default: ./authdb.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Create a verified superuser account.
    CreateSuperuser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Revert the most recent migrations.
    Down {
        /// How many to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// Why a command failed; rendered as one line by `main`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Failed(String),
    #[error("the server stopped with an error: {0}")]
    Server(io::Error),
}

/// The environment variable `create-superuser` reads the password from.
pub const SUPERUSER_PASSWORD_ENV: &str = "AUTHDB_SUPERUSER_PASSWORD";

pub async fn run(command: Command, settings: Settings) -> Result<(), CliError> {
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate { action } => migrate(action, &settings).await,
        Command::CreateSuperuser { email, username, password_stdin } => {
            create_superuser(&settings, &email, &username, password_stdin).await
        }
    }
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let application = Application::build(settings).await?;
    application.run_until_stopped().await.map_err(CliError::Server)?;
    tracing::info!("authdb stopped");
    Ok(())
}

#[allow(clippy::print_stdout, reason = "migrate reports on standard output")]
async fn migrate(action: MigrateAction, settings: &Settings) -> Result<(), CliError> {
    if !matches!(action, MigrateAction::Up)
        && let Some(file) = missing_database(settings)
    {
        no_database(&action, &file);
        return Ok(());
    }
    let db = connect(settings).await?;
    let failed = |error: authdb_persistence::PersistenceError| CliError::Failed(error_chain(&error));
    let applied = async || -> Result<usize, CliError> {
        let states = authdb_persistence::migration_states(&db).await.map_err(failed)?;
        Ok(states.iter().filter(|state| state.applied).count())
    };
    match action {
        MigrateAction::Up => {
            let before = applied().await?;
            authdb_persistence::migrate_up(&db).await.map_err(failed)?;
            println!("applied {}", migrations(applied().await?.saturating_sub(before)));
        }
        MigrateAction::Down { steps } => {
            let before = applied().await?;
            authdb_persistence::migrate_down(&db, Some(steps)).await.map_err(failed)?;
            println!("reverted {}", migrations(before.saturating_sub(applied().await?)));
        }
        MigrateAction::Status => {
            for state in authdb_persistence::migration_states(&db).await.map_err(failed)? {
                println!("{}\t{}", if state.applied { "applied" } else { "pending" }, state.name);
            }
        }
    }
    Ok(())
}

/// The SQLite file the settings name, when it does not exist yet: opening it would
/// create it (and the data directory).
fn missing_database(settings: &Settings) -> Option<PathBuf> {
    authdb_persistence::sqlite_file(&settings.database_url()).filter(|file| !file.exists())
}

/// `migrate status` or `down` without a database: the answer, and nothing created.
#[allow(clippy::print_stdout, clippy::print_stderr, reason = "migrate reports on standard output, notes on error")]
fn no_database(action: &MigrateAction, file: &Path) {
    let file = file.display();
    match action {
        MigrateAction::Status => {
            for name in authdb_persistence::migration_names() {
                println!("pending\t{name}");
            }
            eprintln!(
                "no database at {file} yet, so every migration is pending; nothing was created \
                 (`authdb migrate up` or `authdb serve` creates it)"
            );
        }
        // `up` does not get here: it creates the database.
        MigrateAction::Down { .. } | MigrateAction::Up => {
            println!("reverted {}", migrations(0));
            eprintln!("no database at {file} yet, so there is nothing to revert; nothing was created");
        }
    }
}

/// `1 migration`, `3 migrations`.
fn migrations(count: usize) -> String {
    format!("{count} migration{}", if count == 1 { "" } else { "s" })
}

#[allow(clippy::print_stdout, reason = "create-superuser reports its result on standard output")]
async fn create_superuser(
    settings: &Settings,
    email: &str,
    username: &str,
    password_stdin: bool,
) -> Result<(), CliError> {
    let policy = settings.auth.password.policy();
    let email = Email::parse(email);
    let username = Username::parse(username);
    let (email, username) = match (email, username) {
        (Ok(email), Ok(username)) => (email, username),
        (email, username) => {
            let error = DomainError::collect([email.err(), username.err()]).err();
            return Err(CliError::Invalid(error.map_or_else(String::new, |e| e.to_string())));
        }
    };
    let raw = read_password(password_stdin)?;
    let password = policy.parse(raw).map_err(|violation| CliError::Invalid(format!("invalid {violation}")))?;
    let (_db, services, _) = build_services(settings, false).await?;
    let registration = Registration { email, username, password, full_name: None };
    match services.auth.create_superuser(registration).await {
        Ok(user) => {
            println!("created superuser {} ({})", user.username, user.id);
            Ok(())
        }
        Err(ServiceError::Conflict { fields }) => Err(CliError::Failed(format!(
            "a user with this {} already exists; nothing was changed",
            fields.join(" and ")
        ))),
        Err(error) => Err(CliError::Failed(error_chain(&error))),
    }
}

fn read_password(from_stdin: bool) -> Result<String, CliError> {
    if let Ok(password) = std::env::var(SUPERUSER_PASSWORD_ENV) {
        return Ok(password);
    }
    if from_stdin {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Failed(format!("cannot read standard input: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::Invalid(format!(
            "no password given: set {SUPERUSER_PASSWORD_ENV}, pass --password-stdin, or run in a terminal"
        )));
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| CliError::Failed(e.to_string()))?;
    let second = rpassword::prompt_password("Password (again): ").map_err(|e| CliError::Failed(e.to_string()))?;
    if first != second {
        return Err(CliError::Invalid("the passwords do not match".into()));
    }
    Ok(first)
}
