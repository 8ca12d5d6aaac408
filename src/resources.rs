//! Terraform resources, one per file.

pub mod coupa_integration;
