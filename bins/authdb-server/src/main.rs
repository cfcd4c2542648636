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
    let command = cli.command.unwrap_or(Command::Serve);
    let default_filter =
        if matches!(command, Command::Serve) { telemetry::SERVER_FILTER } else { telemetry::COMMAND_FILTER };
    telemetry::init_with_default(settings.log.format, default_filter);
    let outcome = actix_web::rt::System::new().block_on(run(command, settings));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The one report of the failure: logging it as well would print it twice.
            eprintln!("authdb: {error}");
            ExitCode::FAILURE
        }
    }
}
