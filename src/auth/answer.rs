//! A token answer's success body, and how long its token is used.
//!
//! Both token endpoints answer the OAuth2 shape (RFC 6749 §5.1): `access_token`, `token_type`
//! and `expires_in`. What differs between the services is written down as data, in one
//! [`Policy`] per service beside its grant: the lifetime assumed when `expires_in` says nothing
//! usable, and the renewal margin, each with its reason there.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::bearer::Bearer;
use super::cache::Lease;

/// The longest `expires_in` taken at its word. Both services' tokens last a day at most; a
/// longer one (`1e20`, `u64::MAX`, more digits than any number type holds) counts as a day.
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(24 * 3600);

/// What an `expires_in` that is no usable number of seconds makes of the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OddExpiresIn {
    /// The answer is refused (and, being a 2xx, asked for once more by the HTTP layer).
    Refuse,
    /// The token is used for the policy's default lifetime.
    AssumeDefault,
}

/// When a token is renewed: a margin before its end, so no request starts with a token about to
/// expire. The margin is a tenth of the lifetime, at least `margin_floor` (but never more than
/// half the lifetime) and at most `margin_ceiling`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renewal {
    /// The longest a token is used, whatever its `expires_in`.
    pub longest_use: Duration,
    pub margin_floor: Duration,
    pub margin_ceiling: Duration,
}

impl Renewal {
    /// How long before the end of `lifetime` the token is renewed.
    pub fn margin(&self, lifetime: Duration) -> Duration {
        let part = |n: u32| lifetime.checked_div(n).unwrap_or_default();
        part(10)
            .max(self.margin_floor.min(part(2)))
            .min(self.margin_ceiling)
    }

    /// How long a token of this lifetime is handed out before the cache asks for a new one.
    pub fn renew_after(&self, lifetime: Duration) -> Duration {
        let used = lifetime.min(self.longest_use);
        used.saturating_sub(self.margin(used))
    }
}

/// How one service's token answers are read and its tokens renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The lifetime of a token whose answer has no `expires_in`.
    pub default_lifetime: Duration,
    /// An `expires_in` shorter than this counts as odd.
    pub shortest_lifetime: Duration,
    /// What an odd `expires_in` (not a number of seconds, or too short) means.
    pub odd_expires_in: OddExpiresIn,
    pub renewal: Renewal,
}

impl Policy {
    /// The token and its lifetime from a success body: `access_token` (surrounding white space
    /// dropped), `token_type` bearer (any case; assumed when absent), `expires_in` as a number
    /// or numeric string. Extra fields (`scope`, `id_token`) are ignored. `Err` says what is
    /// wrong, never quoting the token.
    pub fn read(&self, body: &Value, sent_at: Instant) -> Result<(Bearer, Duration), String> {
        let token = match body.get("access_token") {
            None | Some(Value::Null) => return Err("the answer has no access_token".into()),
            Some(Value::String(t)) if t.trim().is_empty() => {
                return Err("the access_token is empty".into())
            }
            Some(Value::String(t)) => t.trim(),
            Some(_) => return Err("`$.access_token` is not a string".into()),
        };
        match body.get("token_type").and_then(Value::as_str) {
            Some(t) if !t.eq_ignore_ascii_case("bearer") => {
                return Err(format!("its token_type is `{t}`, not bearer"))
            }
            _ => {}
        }
        let lifetime = self.lifetime(body.get("expires_in"))?;
        let bearer = Bearer::new(token, sent_at)?;
        Ok((bearer, lifetime))
    }

    /// Whether a success body holds a token this policy takes (the HTTP layer asks once more
    /// for one that does not).
    pub fn usable(&self, body: &[u8]) -> bool {
        serde_json::from_slice::<Value>(body)
            .ok()
            .is_some_and(|json| self.read(&json, Instant::now()).is_ok())
    }

    /// The lifetime an `expires_in` gives: its seconds, at most [`MAX_EXPIRES_IN`]; the default
    /// lifetime when it is missing; an odd one as the policy says.
    pub fn lifetime(&self, expires_in: Option<&Value>) -> Result<Duration, String> {
        let v = match expires_in {
            None | Some(Value::Null) => return Ok(self.default_lifetime),
            Some(v) => v,
        };
        match seconds(v).filter(|d| *d >= self.shortest_lifetime) {
            Some(d) => Ok(d),
            None => match self.odd_expires_in {
                OddExpiresIn::AssumeDefault => Ok(self.default_lifetime),
                OddExpiresIn::Refuse => {
                    Err(format!("its expires_in `{v}` is not a number of seconds"))
                }
            },
        }
    }

    /// The cache's schedule for `token`: renewed at [`Renewal::renew_after`], expired at the
    /// end of `lifetime`. An instant past what the clock can count (never, in practice, with
    /// lifetimes of a day at most) falls back to when the token was asked for: it serves the
    /// call at hand and the next one asks again.
    pub fn lease(&self, token: Bearer, lifetime: Duration) -> Lease<Bearer> {
        let start = token.minted_at();
        let (renew_at, expires_at) = match start.checked_add(lifetime) {
            Some(end) => (
                start
                    .checked_add(self.renewal.renew_after(lifetime))
                    .unwrap_or(start),
                end,
            ),
            None => (start, start),
        };
        Lease {
            token,
            renew_at,
            expires_at,
        }
    }
}

/// `expires_in` as a JSON number or a numeric string, fractions kept, at most
/// [`MAX_EXPIRES_IN`]. `None` for what is no number of seconds: a negative number, NaN, a word
/// (`inf`), any other JSON type.
fn seconds(v: &Value) -> Option<Duration> {
    let secs = match v {
        Value::Number(n) => n.as_f64()?,
        // A digit is required: Rust's float parser also takes `NaN`, `inf` and `infinity`. A
        // string of digits too long for an `f64` ("1e400") parses as infinity: over a day.
        Value::String(s) if s.bytes().any(|b| b.is_ascii_digit()) => s.trim().parse().ok()?,
        _ => return None,
    };
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).map_or(MAX_EXPIRES_IN, |d| d.min(MAX_EXPIRES_IN)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const STRICT: Policy = Policy {
        default_lifetime: Duration::from_secs(3600),
        shortest_lifetime: Duration::ZERO,
        odd_expires_in: OddExpiresIn::Refuse,
        renewal: Renewal {
            longest_use: MAX_EXPIRES_IN,
            margin_floor: Duration::ZERO,
            margin_ceiling: Duration::MAX,
        },
    };

    #[test]
    fn the_answer_names_what_is_wrong_without_quoting_the_token() {
        let now = Instant::now();
        let read = |body: Value| {
            STRICT
                .read(&body, now)
                .map(|(t, l)| (t.secret().clone(), l))
        };
        let ok = read(json!({"access_token": " tok ", "token_type": "BEARER", "expires_in": "60"}));
        assert_eq!(ok, Ok(("tok".into(), Duration::from_secs(60))));
        for (body, why) in [
            (json!({}), "the answer has no access_token"),
            (
                json!({"access_token": null}),
                "the answer has no access_token",
            ),
            (json!({"access_token": " "}), "the access_token is empty"),
            (
                json!({"access_token": 7}),
                "`$.access_token` is not a string",
            ),
            (
                json!({"access_token": "a b"}),
                "characters a bearer token cannot have",
            ),
            (
                json!({"access_token": "a", "token_type": "mac"}),
                "token_type is `mac`",
            ),
            (
                json!({"access_token": "a", "expires_in": "soon"}),
                "expires_in `\"soon\"`",
            ),
        ] {
            let err = read(body.clone()).unwrap_err();
            assert!(err.contains(why), "{body}: {err}");
        }
        assert!(STRICT.usable(br#"{"access_token":"a"}"#));
        assert!(!STRICT.usable(br#"{"access_token":"a","token_type":"mac"}"#));
        assert!(!STRICT.usable(b"<html>"));
    }

    #[test]
    fn an_odd_expires_in_is_refused_or_the_default_as_the_policy_says() {
        let lenient = Policy {
            shortest_lifetime: Duration::from_secs(1),
            odd_expires_in: OddExpiresIn::AssumeDefault,
            ..STRICT
        };
        for odd in [json!(-1), json!("NaN"), json!(true), json!("")] {
            assert!(STRICT.lifetime(Some(&odd)).is_err(), "{odd}");
            assert_eq!(lenient.lifetime(Some(&odd)), Ok(STRICT.default_lifetime));
        }
        assert_eq!(
            STRICT.lifetime(Some(&json!(0.5))),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            lenient.lifetime(Some(&json!(0.5))),
            Ok(STRICT.default_lifetime)
        );
        assert_eq!(STRICT.lifetime(Some(&json!(1e20))), Ok(MAX_EXPIRES_IN));
        assert_eq!(STRICT.lifetime(None), Ok(STRICT.default_lifetime));
    }

    #[test]
    fn the_margin_is_a_tenth_between_floor_half_and_ceiling() {
        let r = Renewal {
            longest_use: Duration::from_secs(1000),
            margin_floor: Duration::from_secs(30),
            margin_ceiling: Duration::from_secs(60),
        };
        let s = Duration::from_secs;
        assert_eq!(r.margin(s(400)), s(40));
        assert_eq!(r.margin(s(100)), s(30));
        assert_eq!(r.margin(s(20)), s(10));
        assert_eq!(r.margin(s(6000)), s(60));
        // Used at most `longest_use`, less the margin of that.
        assert_eq!(r.renew_after(s(6000)), s(940));
        assert_eq!(r.renew_after(Duration::ZERO), Duration::ZERO);
    }
}
