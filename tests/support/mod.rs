//! Shared support for the integration tests: the stand-in process and the Terraform CLI.
//!
//! Each test file includes this with `mod support;`; not every file uses every helper.
#![allow(dead_code)]

pub mod standin;
pub mod terraform;

pub use standin::Standin;
pub use terraform::{Terraform, Workdir};
