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

/// Mask what looks like a credential in `text` whose values we do not hold: the value after a
/// key that names a secret, a password or a token (`client_secret="…"`, `password: …`,
/// `access_token=…`; a bare `token:` is left alone, as in `cannot fetch token: 401`), and `Bearer …` / `Basic …` values. For server text that may echo
/// credentials someone else entered (a connector's `lastError`, when its owner typed the Coupa
/// secret in ConductorOne), where [`scrub`] has nothing to look for.
pub fn scrub_shapes(text: &str) -> String {
    static SHAPES: std::sync::OnceLock<Option<[regex::Regex; 2]>> = std::sync::OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        let keyed = regex::Regex::new(
            r#"(?i)([A-Za-z0-9_.-]*(?:secret|password|passwd|[_-]token)[A-Za-z0-9_.-]*["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;)\]}]+)"#,
        )
        .ok()?;
        let scheme =
            regex::Regex::new(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}").ok()?;
        Some([keyed, scheme])
    });
    let Some([keyed, scheme]) = shapes else {
        return MASK.to_owned();
    };
    let out = keyed.replace_all(text, format!("${{1}}{MASK}").as_str());
    scheme
        .replace_all(&out, format!("${{1}}${{2}}{MASK}").as_str())
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_shapes_masks_keyed_values_and_schemes() {
        let text = r#"oauth2: cannot fetch token (client_id="cid" client_secret="s3cr3t value") password: hunter2, Authorization: Bearer abcdefgh12345678"#;
        let out = scrub_shapes(text);
        for gone in ["s3cr3t value", "hunter2", "abcdefgh12345678"] {
            assert!(!out.contains(gone), "{out}");
        }
        assert!(out.contains(r#"client_id="cid""#), "{out}");
        assert!(out.contains(&format!("client_secret={MASK}")), "{out}");
        assert!(
            out.contains("cannot fetch token"),
            "plain words stay: {out}"
        );
        assert_eq!(scrub_shapes("sync failed: boom"), "sync failed: boom");
        let plain = "oauth2: cannot fetch token: 401 Unauthorized";
        assert_eq!(scrub_shapes(plain), plain);
        assert!(!scrub_shapes("access_token=abcdef123").contains("abcdef123"));
    }

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
