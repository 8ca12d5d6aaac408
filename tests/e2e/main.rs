//! The end-to-end level: the real Terraform CLI (`TERRAFORM_BIN`) drives the built provider
//! against the stand-ins. One test binary, a module per concern (rust-lang/cargo's
//! `tests/testsuite` model): every file directly under `tests/` is another binary that links the
//! whole provider, so the tests of one level share one. Without Terraform these tests return
//! early (and fail under `REQUIRE_TERRAFORM=1`); the provider-methods level is `tests/methods/`.
//!
//! Run one module: `cargo test --test e2e sync::`; on another Terraform:
//! `TERRAFORM_BIN=/usr/local/bin/terraform REQUIRE_TERRAFORM=1 cargo test --test e2e`.
//!
//! The tests share one process, in parallel threads. None sets a process environment variable:
//! what a Terraform run and its provider see is set on that command (`testkit::Workdir`, which
//! also drops inherited `CONDUCTORONE_*`, `TF_*`, trust and proxy variables), and each test starts
//! its own stand-ins and working directory.
//!
//! Two modules hold both levels of one table, kept together: `bad_inputs` and
//! `bad_inputs_licenses` run each input through the provider's methods and through Terraform.

mod bad_inputs;
mod bad_inputs_licenses;
mod data_sources;
mod delegated;
mod examples;
mod import_block;
mod integration;
mod integration_data;
mod later_features;
mod licenses;
mod provider;
mod proxy_pages;
mod release;
mod reliability;
mod secret_hygiene;
mod sync;
mod tls;
mod unknowns;
mod write_answers;

/// An HTTP client for a test's own requests (to a stand-in's API, a trap), with a generous hang
/// bound on each: a server that stopped answering fails the test instead of stalling it.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("an HTTP client")
}
