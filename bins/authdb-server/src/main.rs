use std::process::ExitCode;

use authdb_server::{
    Settings,
    cli::{Cli, Command, run},
    telemetry,
};
use clap::Parser as _;

/// mimalloc, not glibc's malloc: the server allocates many small, short-lived values
/// beside large request bodies, and glibc's heap fragmented under that mix (a 10,000-host
/// nmap import spent a fifth of its time in `_int_malloc` and `malloc_consolidate`). With
/// mimalloc the same import takes about 40% less time and an idle socket about 2 KiB less
/// memory; the figures are in docs/benchmarks.md. Only the binary chooses: embedders of the
/// library crates keep their own allocator. Building without the `mimalloc` feature gives
/// the system allocator back (for heap profilers, which hook `malloc`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
