//! The provider-methods level: the provider's own methods (configure, plan, apply, read, import,
//! the data sources' reads) called directly against the stand-ins, with no Terraform CLI. One
//! test binary, a module per concern (rust-lang/cargo's `tests/testsuite` model): every file
//! directly under `tests/` is another binary that links the whole provider, so the tests of one
//! level share one. End to end with Terraform: `tests/e2e/`.
//!
//! Run one module: `cargo test --test methods fault_matrix::`.
//!
//! The tests of this binary share one process, in parallel threads. The one that sets
//! environment variables (`provider::a_failed_sync_wait_is_asked_again_by_the_next_plan`, the
//! sync poll intervals) sets values no other test here reads; no test here starts Terraform, so
//! nothing inherits them.

mod delegated;
mod fault_matrix;
mod licenses;
mod properties;
mod provider;
