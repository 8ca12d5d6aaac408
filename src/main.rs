//! The plugin binary: logging on stderr, interrupts turned into a stop request, then the
//! protocol-6 server. Terraform starts this process several times per command, so nothing here
//! may be slow: clients, TLS roots and regexes are built later, on first use.
//!
//! ## Interrupts
//!
//! Ctrl-C in a terminal and a CI runner cancelling a job signal Terraform's whole process group,
//! this plugin included (tf-provider.md §5.1). Dying there would lose what an operation in
//! flight had just created: Terraform would report "Plugin did not respond" and record nothing.
//! So, as HashiCorp's go-plugin does for Go providers ("eat the interrupts"), the plugin
//! survives SIGINT and SIGTERM: the first one requests the provider's [`Stop`] (no new request
//! starts, retries and waits end, what already reached ConductorOne is finished and returned),
//! and Terraform alone decides when the process ends (its StopProvider call, then closing the
//! plugin; on a second Ctrl-C it exits at once).
//!
//! A stop sent to Terraform alone (`docker stop`, a pod's termination, `kill -TERM <terraform's
//! pid>`: not the group) reaches the plugin only as Terraform's StopProvider call, which
//! tf-provider 0.2.2 hands to no resource; the logging subscriber carries a layer that hears
//! that call and requests the same [`Stop`] (`tfp_conductorone::stop::heard`). tf-provider then
//! shuts its server down gracefully: the call in flight (the apply that was stopped) still
//! returns its state to Terraform before `serve` returns and the process exits.

// Start-up failures end the process with a message and status 1, never a panic (the library
// denies the same lints; see src/lib.rs).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tfp_conductorone::stop::Stop;
use tfp_conductorone::{logging, provider::ConductorOneProvider};

fn main() {
    // tf-provider appends a Rust backtrace to every diagnostic when backtraces are enabled for
    // the process. `RUST_LIB_BACKTRACE=0` turns that off for library captures while leaving panic
    // backtraces (`RUST_BACKTRACE`) alone. Set before any thread exists.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    let stop = Stop::default();
    logging::init(&stop);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-conductorone: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(async {
        // Installed before the handshake, so no interrupt can find the default (fatal) handler.
        if let Err(e) = eat_interrupts(stop.clone()) {
            tracing::warn!(error = %e, "cannot handle SIGINT/SIGTERM; an interrupt will end the plugin at once");
        }
        tf_provider::serve("conductorone", ConductorOneProvider::new().with_stop(stop)).await
    });
    if let Err(e) = result {
        tracing::error!(error = %e, "plugin server stopped with an error");
        logging::flush();
        std::process::exit(1);
    }
}

/// Catch SIGINT and SIGTERM for the life of the process: the first requests `stop` (unless
/// Terraform's StopProvider did already), later ones are only logged (see the module
/// documentation).
#[cfg(unix)]
fn eat_interrupts(stop: Stop) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        // Whether a signal came before. Not the stop itself: Terraform's StopProvider may have
        // requested it a moment before the group's signal arrives, which is still the first.
        let mut signalled = false;
        loop {
            let name = tokio::select! {
                Some(()) = interrupt.recv() => "SIGINT",
                Some(()) = terminate.recv() => "SIGTERM",
                else => break,
            };
            if std::mem::replace(&mut signalled, true) {
                tracing::info!(
                    signal = name,
                    "another interrupt: still finishing what already reached ConductorOne; Terraform decides when the plugin ends"
                );
            } else {
                tracing::info!(
                    signal = name,
                    "interrupted: no new request starts; what already reached ConductorOne is finished and returned to Terraform"
                );
                stop.request();
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn eat_interrupts(_stop: Stop) -> std::io::Result<()> {
    Ok(())
}
