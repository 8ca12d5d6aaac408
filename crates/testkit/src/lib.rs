//! The provider's test kit, so that each test file reads as a scenario, not as harness code.
//!
//! ## Layout
//! - [`terraform`]: the real Terraform CLI against the built provider: working directories with
//!   `dev_overrides`, a controlled environment, and assertions on what a run printed.
//! - [`group`]: Terraform in a process group of its own, signalled (SIGINT, SIGTERM, SIGKILL)
//!   as a terminal or a CI runner signals it.
//! - [`rig`]: a Terraform working directory wired to a fresh pair of stand-ins, whose every run
//!   is searched for the stand-ins' secrets.
//! - [`lifecycle`]: the provider's own methods (configure, plan, apply, read, import, destroy)
//!   driven as Terraform would, without the CLI.
//! - [`secrets`]: the search for secrets and secret-shaped strings in text.
//! - [`requests`]: the stand-ins' request logs and stored connectors, as tests assert on them.
//! - [`report`]: figures a test measured, on stderr and in `target/reliability/`.
//! - [`tenant`]: expected values from the stand-in's own data (who holds which Coupa license).
//! - [`version`]: which Terraform a test runs on (`make test` runs every end-to-end test on two),
//!   and the record of what ran on each.
//! - [`text`]: what the others need to read Terraform's output (its wrapped lines).
//!
//! The stand-ins themselves are the `conductorone-standin` crate, re-exported as [`Standin`].

pub mod group;
pub mod lifecycle;
pub mod report;
pub mod requests;
pub mod rig;
pub mod secrets;
pub mod tenant;
pub mod terraform;
pub mod text;
pub mod version;

pub use group::{Ended, Group, Signal, RUN_HANG};
pub use lifecycle::{Lifecycle, Outcome};
pub use rig::{Rig, COUPA_VARIABLES};
pub use standin::{Options as StandinOptions, Standin};
pub use terraform::{Run, Terraform, Workdir};
pub use text::collapse;
pub use version::Version;

/// The Terraform CLI for this test binary's provider, or `None` (the test then returns early)
/// when `TERRAFORM_BIN` is not set and `REQUIRE_TERRAFORM` is not either.
///
/// A macro because only an integration test of the provider package knows where Cargo put the
/// plugin binary (`CARGO_BIN_EXE_…`).
#[macro_export]
macro_rules! terraform {
    () => {
        $crate::Terraform::find(env!("CARGO_BIN_EXE_terraform-provider-conductorone"))
    };
}
