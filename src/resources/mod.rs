//! Terraform resources.
