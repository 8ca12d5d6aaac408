//! A string that must never be printed.
//!
//! Every credential the provider handles (the Coupa client secret, the ConductorOne client secret,
//! access tokens and OIDC tokens) travels inside [`Secret`]. Its `Debug` and `Display` print a fixed
//! mask, so a stray `{:?}` in a log line or an error message cannot leak the value; the only way to
//! read it is the explicit, greppable [`Secret::expose`].

use std::fmt;

/// The text printed in place of a secret.
pub const MASK: &str = "<redacted>";

/// An owned secret string with a redacting `Debug`/`Display`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The plain value, for the one place that must send it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// Replace every occurrence of each non-empty secret in `text` by [`MASK`].
///
/// Used on text that comes from outside (an API's error message may echo what it was sent) before
/// that text reaches a log line or a diagnostic.
pub fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        // Very short values would mask innocent text and prove nothing; real secrets are long.
        if s.0.len() >= 4 {
            out = out.replace(s.expose(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), MASK);
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{:?}", Some(&s)), format!("Some({MASK})"));
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn scrub_masks_every_occurrence() {
        let a = Secret::new("abcdef");
        let b = Secret::new("xyz123");
        let out = scrub("abcdef said xyz123 to abcdef", &[&a, &b]);
        assert_eq!(out, format!("{MASK} said {MASK} to {MASK}"));
    }

    #[test]
    fn scrub_ignores_tiny_values() {
        let a = Secret::new("a");
        assert_eq!(scrub("banana", &[&a]), "banana");
    }
}
