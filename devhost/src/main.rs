//! `devhost`: serves a Spin application's HTTP triggers on a loopback address.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, ensure};
use clap::Parser;
use devhost::app::{self, LoadOptions};
use devhost::server::{self, DEFAULT_MAX_BODY_BYTES, ServerOptions};

/// Runs a Spin application (spin.toml, manifest version 2) locally on wasmtime.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Path of the Spin manifest.
    #[arg(long, default_value = "spin.toml")]
    manifest: PathBuf,

    /// Loopback address and port to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,

    /// Folder in which each component's Wasm file is looked up by file name, in place of the
    /// manifest's `source` path.
    #[arg(long)]
    wasm_dir: Option<PathBuf>,

    /// Maximum request body size in bytes; larger requests get 413.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    ensure!(
        args.listen.ip().is_loopback(),
        "--listen {} is not a loopback address; devhost serves only 127.0.0.1 or ::1",
        args.listen
    );

    // Start-up: every manifest, variable and component error stops here.
    let options = LoadOptions { wasm_dir: args.wasm_dir.clone() };
    let app = tokio::task::block_in_place(|| app::load(&args.manifest, &options))?;
    for (route, target) in app.router.routes() {
        tracing::info!(route, ?target, "route");
    }

    // Listening: the first stdout line carries the URL for scripts and test harnesses.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("failed to listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "devhost listening on http://{address}")?;
    stdout.flush()?;
    tracing::info!(%address, app = app.name, "serving");

    let server_options = ServerOptions { max_body_bytes: args.max_body_bytes };
    tokio::select! {
        result = server::serve(listener, app, server_options) => result,
        () = shutdown_signal() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "failed to install the SIGTERM handler");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
