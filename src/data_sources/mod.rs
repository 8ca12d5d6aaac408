//! Terraform data sources.
