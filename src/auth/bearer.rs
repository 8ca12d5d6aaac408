//! A bearer token: its value, the `Authorization` header made from it, and when it was asked for.

use std::time::Duration;

use reqwest::header::HeaderValue;
use tokio::time::Instant;

use crate::secret::Secret;

/// Why a token cannot be used as a bearer token.
pub const NOT_A_BEARER_TOKEN: &str =
    "the access_token contains characters a bearer token cannot have";

/// A bearer token. The header is built when the token arrives, so a token that cannot be sent
/// is refused there, not on every call.
#[derive(Clone, Debug)]
pub struct Bearer {
    value: Secret,
    /// `Bearer <value>`, marked sensitive so no layer prints it.
    header: HeaderValue,
    /// When the request that got the token was sent.
    minted_at: Instant,
}

/// Two tokens are the same when their values are (what a 401 rejected is the value).
impl PartialEq for Bearer {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Bearer {
    /// `Err` for an empty token or one with a character outside visible ASCII (RFC 6750's
    /// `b64token` is narrower still; visible ASCII is what any server's tokens use).
    pub fn new(value: &str, minted_at: Instant) -> Result<Bearer, &'static str> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(NOT_A_BEARER_TOKEN);
        }
        let mut header =
            HeaderValue::from_str(&format!("Bearer {value}")).map_err(|_| NOT_A_BEARER_TOKEN)?;
        header.set_sensitive(true);
        Ok(Bearer {
            value: Secret::new(value),
            header,
            minted_at,
        })
    }

    pub fn secret(&self) -> &Secret {
        &self.value
    }

    /// The `Authorization` header value, marked sensitive so no layer prints it.
    pub fn header(&self) -> HeaderValue {
        self.header.clone()
    }

    /// Time since the token request was sent.
    pub fn age(&self) -> Duration {
        self.minted_at.elapsed()
    }

    pub fn minted_at(&self) -> Instant {
        self.minted_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_token_is_visible_ascii_and_its_header_is_sensitive() {
        let now = Instant::now();
        let token = Bearer::new("eyJ.a-b_c~+/=", now).unwrap();
        assert!(token.header().is_sensitive());
        assert_eq!(token.header().to_str().unwrap(), "Bearer eyJ.a-b_c~+/=");
        assert!(!format!("{token:?}").contains("eyJ"));
        for bad in ["", "a b", "a\tb", "tök", "a\nb"] {
            assert_eq!(Bearer::new(bad, now), Err(NOT_A_BEARER_TOKEN), "{bad:?}");
        }
        assert_eq!(token, Bearer::new("eyJ.a-b_c~+/=", Instant::now()).unwrap());
    }
}
