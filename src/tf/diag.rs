//! Diagnostics users can act on.
//!
//! Every error carries a short Title-Case summary, a detail that says what was expected and what
//! to do, and, for configuration problems, the attribute path so Terraform points at the line.
//!
//! We build [`Diagnostic`] values directly instead of through `Diagnostic::new`, which appends a
//! Rust backtrace to the detail whenever `RUST_BACKTRACE` is set (tf-provider 0.2.2): users must
//! never see stack frames under an error.

use std::borrow::Cow;

use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostic, Diagnostics};

use super::value::{string, Known};

/// An error pointing at `path`.
pub fn error_at(
    diags: &mut Diagnostics,
    path: AttributePath,
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
) {
    diags.errors.push(Diagnostic {
        summary: summary.into(),
        detail: detail.into(),
        attribute: path,
    });
}

/// An error pointing at the top-level attribute `name`.
pub fn attr_error(
    diags: &mut Diagnostics,
    name: &'static str,
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
) {
    error_at(diags, AttributePath::new(name), summary, detail);
}

/// An error about the whole object (no attribute to point at).
pub fn root_error(
    diags: &mut Diagnostics,
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
) {
    error_at(diags, AttributePath::root(), summary, detail);
}

/// A warning pointing at the top-level attribute `name`.
pub fn attr_warning(
    diags: &mut Diagnostics,
    name: &'static str,
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
) {
    diags.warnings.push(Diagnostic {
        summary: summary.into(),
        detail: detail.into(),
        attribute: AttributePath::new(name),
    });
}

/// A warning about the whole object.
pub fn root_warning(
    diags: &mut Diagnostics,
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
) {
    diags.warnings.push(Diagnostic {
        summary: summary.into(),
        detail: detail.into(),
        attribute: AttributePath::root(),
    });
}

pub fn has_errors(diags: &Diagnostics) -> bool {
    !diags.errors.is_empty()
}

/// Check that a string attribute, when known, is not empty or blank.
pub fn check_not_blank(diags: &mut Diagnostics, attr: &'static str, v: &Value<String>, what: &str) {
    if let Known::Set(text) = string(v) {
        if text.trim().is_empty() {
            attr_error(
                diags,
                attr,
                "Empty Value",
                format!("`{attr}` must be {what}, not an empty string. If it comes from a variable, check that the variable is set."),
            );
        } else if text.trim() != text {
            attr_error(
                diags,
                attr,
                "Leading or Trailing Spaces",
                format!("`{attr}` has spaces around it, which are never part of {what}. Remove them (HCL: `trimspace(var.x)`)."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_backtrace_even_when_rust_backtrace_is_set() {
        // The variable is read once per process by std; setting it here covers the case where
        // no other test has captured a backtrace yet, and the assertion holds either way.
        std::env::set_var("RUST_BACKTRACE", "1");
        let mut diags = Diagnostics::default();
        attr_error(
            &mut diags,
            "client_id",
            "Invalid Client ID",
            "expected x@y/z",
        );
        assert_eq!(diags.errors[0].detail, "expected x@y/z");
        assert_eq!(diags.errors[0].attribute, AttributePath::new("client_id"));
    }
}
