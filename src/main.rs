//! The plugin binary: logging on stderr, then the protocol-6 server. Terraform starts this
//! process several times per command, so nothing here may be slow: clients, TLS roots and regexes
//! are built later, on first use.

// Start-up failures end the process with a message and status 1, never a panic (the library
// denies the same lints; see src/lib.rs).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tfp_conductorone::{logging, provider::ConductorOneProvider};

fn main() {
    // tf-provider appends a Rust backtrace to every diagnostic when backtraces are enabled for
    // the process. `RUST_LIB_BACKTRACE=0` turns that off for library captures while leaving panic
    // backtraces (`RUST_BACKTRACE`) alone. Set before any thread exists.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    logging::init();
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
    let result = runtime.block_on(tf_provider::serve(
        "conductorone",
        ConductorOneProvider::new(),
    ));
    if let Err(e) = result {
        tracing::error!(error = %e, "plugin server stopped with an error");
        logging::flush();
        std::process::exit(1);
    }
}
