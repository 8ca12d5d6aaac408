//! Reading Terraform's output as text.

/// Runs of whitespace as one space: Terraform wraps diagnostics at 78 columns.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
