//! ConductorOne credentials: the client ID and the Ed25519 client secret.
//!
//! Both come from the user (attributes or env vars) and are checked here, once, so that a typo
//! fails at configuration time with a precise message instead of as an opaque 400 from the token
//! endpoint. Errors about the secret describe what was expected and never repeat the input: a
//! half-right secret is still mostly secret.

use std::fmt;
use std::str::FromStr;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};

/// base64url that accepts input with or without `=` padding: tools that re-encode a JWK often
/// add padding, and accepting it cannot turn a wrong key into a right one.
const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A client ID such as `strange-hydra-68836@acme.conductor.one/pcc`.
///
/// It is an identifier, not a secret: it may appear in logs and messages.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientId {
    full: String,
    /// Byte range of the host inside `full`.
    host: std::ops::Range<usize>,
}

/// Why a client ID was refused. Messages do not repeat the input, in case a secret was pasted
/// into the wrong field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    #[error("the client ID is empty")]
    Empty,
    #[error("the client ID contains whitespace; it must look like <id>@<host>/<use-case>")]
    Whitespace,
    #[error("the client ID has no `@`; it must look like <id>@<host>/<use-case>, e.g. strange-hydra-68836@acme.conductor.one/pcc")]
    MissingAt,
    #[error("the client ID has no `/` after the host; it must look like <id>@<host>/<use-case>, e.g. strange-hydra-68836@acme.conductor.one/pcc")]
    MissingSlash,
    #[error("the client ID has an empty {0} part; it must look like <id>@<host>/<use-case>")]
    EmptyPart(&'static str),
}

impl ClientId {
    /// Split on the first `@`, then the rest on the first `/`, as ConductorOne's own tools do.
    pub fn parse(input: &str) -> Result<Self, ClientIdError> {
        let full = input.trim();
        if full.is_empty() {
            return Err(ClientIdError::Empty);
        }
        if full.chars().any(char::is_whitespace) {
            return Err(ClientIdError::Whitespace);
        }
        let (id, rest) = full.split_once('@').ok_or(ClientIdError::MissingAt)?;
        let (host, use_case) = rest.split_once('/').ok_or(ClientIdError::MissingSlash)?;
        for (part, name) in [(id, "id"), (host, "host"), (use_case, "use-case")] {
            if part.is_empty() {
                return Err(ClientIdError::EmptyPart(name));
            }
        }
        let start = id.len() + 1;
        Ok(ClientId {
            full: full.to_owned(),
            host: start..start + host.len(),
        })
    }

    /// The whole client ID, as sent in `client_id`, `iss` and `sub`.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The tenant host named in the client ID, e.g. `acme.conductor.one` (may carry a port).
    pub fn host(&self) -> &str {
        // `parse` made the range from the text's own `@` and `/`, so it always fits.
        self.full.get(self.host.clone()).unwrap_or_default()
    }
}

impl FromStr for ClientId {
    type Err = ClientIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientId::parse(s)
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({:?})", self.full)
    }
}

/// The prefix every client secret starts with, for messages.
const EXPECTED_PREFIX: &str = "secret-token:conductorone.com:v1:";

/// A parsed client secret: the Ed25519 key that signs client assertions.
///
/// `Debug` prints no key material. The key is zeroed on drop by `ed25519-dalek`.
#[derive(Clone)]
pub struct ClientSecret {
    key: SigningKey,
}

/// Why a client secret was refused. No variant carries any part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientSecretError {
    #[error("the client secret is empty")]
    Empty,
    #[error("the client secret does not start with {EXPECTED_PREFIX} (it must have exactly four `:`-separated parts)")]
    BadPrefix,
    #[error("the client secret has an unsupported version: only {EXPECTED_PREFIX} secrets are understood")]
    UnsupportedVersion,
    #[error("the key part of the client secret (after {EXPECTED_PREFIX}) is not base64url")]
    NotBase64,
    #[error("the key part of the client secret does not decode to a JSON Web Key")]
    NotJson,
    #[error("the key in the client secret is not an Ed25519 private JWK (expected kty OKP, crv Ed25519 and a private part `d`)")]
    NotEd25519,
    #[error(
        "the private part `d` of the key in the client secret is not a 32-byte base64url value"
    )]
    BadPrivateKey,
    #[error(
        "the public part `x` of the key in the client secret does not match its private part `d`"
    )]
    PublicKeyMismatch,
}

/// Only the JWK members we check. No `Debug`: `d` is the private key.
#[derive(serde::Deserialize)]
struct Jwk {
    kty: Option<String>,
    crv: Option<String>,
    d: Option<String>,
    x: Option<String>,
}

impl ClientSecret {
    /// Parse `secret-token:conductorone.com:v1:<base64url of an Ed25519 private JWK>`.
    ///
    /// Like ConductorOne's tools, the second part is not checked (tenants in other regions may
    /// name another domain there); the first must be `secret-token` and the third `v1`.
    pub fn parse(input: &str) -> Result<Self, ClientSecretError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ClientSecretError::Empty);
        }
        let parts: Vec<&str> = input.split(':').collect();
        let [scheme, _issuer, version, key] = parts[..] else {
            return Err(ClientSecretError::BadPrefix);
        };
        if scheme != "secret-token" {
            return Err(ClientSecretError::BadPrefix);
        }
        if version != "v1" {
            return Err(ClientSecretError::UnsupportedVersion);
        }
        let json = B64URL_LENIENT
            .decode(key)
            .map_err(|_| ClientSecretError::NotBase64)?;
        // The serde error is dropped on purpose: its text can quote the input.
        let jwk: Jwk = serde_json::from_slice(&json).map_err(|_| ClientSecretError::NotJson)?;
        if jwk.kty.as_deref() != Some("OKP") || jwk.crv.as_deref() != Some("Ed25519") {
            return Err(ClientSecretError::NotEd25519);
        }
        let d = jwk.d.ok_or(ClientSecretError::NotEd25519)?;
        let seed: [u8; 32] = B64URL_LENIENT
            .decode(d)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(ClientSecretError::BadPrivateKey)?;
        let key = SigningKey::from_bytes(&seed);
        if let Some(x) = jwk.x {
            let public = B64URL_LENIENT.decode(x).ok();
            if public.as_deref() != Some(key.verifying_key().as_bytes().as_slice()) {
                return Err(ClientSecretError::PublicKeyMismatch);
            }
        }
        Ok(ClientSecret { key })
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientSecret({})", crate::secret::MASK)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    pub(crate) const SEED: [u8; 32] = [7; 32];

    /// A client secret in the documented format for `SEED`, with the given JWK members.
    pub(crate) fn secret_with(jwk: serde_json::Value) -> String {
        format!(
            "secret-token:conductorone.com:v1:{}",
            URL_SAFE_NO_PAD.encode(jwk.to_string())
        )
    }

    pub(crate) fn good_jwk() -> serde_json::Value {
        let key = SigningKey::from_bytes(&SEED);
        serde_json::json!({
            "kty": "OKP", "crv": "Ed25519",
            "d": URL_SAFE_NO_PAD.encode(SEED),
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
        })
    }

    #[test]
    fn client_id_good() {
        let id = ClientId::parse("  strange-hydra-68836@acme.conductor.one/pcc\n").unwrap();
        assert_eq!(id.as_str(), "strange-hydra-68836@acme.conductor.one/pcc");
        assert_eq!(id.host(), "acme.conductor.one");
        assert_eq!(id.to_string(), id.as_str());
        // Only the first `@` and the first `/` after it split.
        let id = ClientId::parse("a@127.0.0.1:8080/wfe/x@y").unwrap();
        assert_eq!(id.host(), "127.0.0.1:8080");
    }

    #[test]
    fn client_id_bad() {
        use ClientIdError::*;
        let err = |s: &str| ClientId::parse(s).unwrap_err();
        assert_eq!(err(""), Empty);
        assert_eq!(err("   "), Empty);
        assert_eq!(err("strange-hydra.acme.conductor.one/pcc"), MissingAt);
        assert_eq!(err("strange-hydra@acme.conductor.one"), MissingSlash);
        assert_eq!(err("@acme.conductor.one/pcc"), EmptyPart("id"));
        assert_eq!(err("x@/pcc"), EmptyPart("host"));
        assert_eq!(err("x@acme.conductor.one/"), EmptyPart("use-case"));
        assert_eq!(err("x@acme conductor.one/pcc"), Whitespace);
        assert!(err("nope").to_string().contains("<id>@<host>/<use-case>"));
    }

    #[test]
    fn secret_good_and_debug_hides_it() {
        let secret = secret_with(good_jwk());
        let parsed = ClientSecret::parse(&secret).unwrap();
        assert_eq!(parsed.signing_key().to_bytes(), SEED);
        let debug = format!("{parsed:?}");
        assert_eq!(debug, "ClientSecret(<redacted>)");
        // Without `x`, and with padding, it is still accepted.
        let mut jwk = good_jwk();
        jwk.as_object_mut().unwrap().remove("x");
        let padded = format!(
            "secret-token:conductorone.com:v1:{}",
            base64::engine::general_purpose::URL_SAFE.encode(jwk.to_string())
        );
        assert!(padded.ends_with('='), "test input should be padded");
        assert!(ClientSecret::parse(&padded).is_ok());
    }

    #[test]
    fn secret_errors_are_precise_and_never_echo_the_input() {
        use ClientSecretError::*;
        let good = secret_with(good_jwk());
        let key_part = good.rsplit(':').next().unwrap().to_owned();
        let jwk_with = |k: &str, v: serde_json::Value| {
            let mut j = good_jwk();
            j[k] = v;
            secret_with(j)
        };
        let cases: Vec<(String, ClientSecretError)> = vec![
            (String::new(), Empty),
            (key_part.clone(), BadPrefix),
            (format!("bearer:conductorone.com:v1:{key_part}"), BadPrefix),
            (
                format!("secret-token:conductorone.com:v1:{key_part}:extra"),
                BadPrefix,
            ),
            (
                format!("secret-token:conductorone.com:v2:{key_part}"),
                UnsupportedVersion,
            ),
            (
                "secret-token:conductorone.com:v1:not base64!!".into(),
                NotBase64,
            ),
            (
                format!(
                    "secret-token:conductorone.com:v1:{}",
                    URL_SAFE_NO_PAD.encode("{\"kty\":")
                ),
                NotJson,
            ),
            (jwk_with("kty", "RSA".into()), NotEd25519),
            (jwk_with("crv", "X25519".into()), NotEd25519),
            (jwk_with("d", serde_json::Value::Null), NotEd25519),
            (
                jwk_with("d", URL_SAFE_NO_PAD.encode([1u8; 31]).into()),
                BadPrivateKey,
            ),
            (jwk_with("d", "%%%".into()), BadPrivateKey),
            (
                jwk_with("x", URL_SAFE_NO_PAD.encode([9u8; 32]).into()),
                PublicKeyMismatch,
            ),
        ];
        for (input, expected) in cases {
            let err = ClientSecret::parse(&input).unwrap_err();
            assert_eq!(err, expected, "input #{input:?}");
            let message = err.to_string();
            assert!(
                input.is_empty() || !message.contains(&input),
                "{message} echoes the input"
            );
            assert!(!message.contains(&key_part), "{message} echoes the key");
        }
        assert_eq!(
            BadPrefix.to_string(),
            "the client secret does not start with secret-token:conductorone.com:v1: (it must have exactly four `:`-separated parts)"
        );
    }
}
