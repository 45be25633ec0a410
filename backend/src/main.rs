//! The `yigong` binary: parse the command line, hand over to the library.

use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    yigong::telemetry::init();
    yigong::webhooks::install_crypto_provider();
    let cli = yigong::cli::Cli::parse();
    match yigong::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("错误 · error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
