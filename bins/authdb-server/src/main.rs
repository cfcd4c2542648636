use std::process::ExitCode;

use authdb_server::{
    Settings,
    cli::{Cli, Command, run},
    telemetry,
};
use clap::Parser as _;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("authdb: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log.format);
    let command = cli.command.unwrap_or(Command::Serve);
    let outcome = actix_web::rt::System::new().block_on(run(command, settings));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "authdb failed");
            eprintln!("authdb: {error}");
            ExitCode::FAILURE
        }
    }
}
