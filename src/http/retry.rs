//! When to send a request again, and after how long. Pure functions, tested without a server.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use std::time::{Duration, SystemTime};

use reqwest::header::RETRY_AFTER;

use super::response::{HttpError, Response};

/// When and how long to wait before trying a request again.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt, and no wait is
    /// begun that would end after it.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Backoff before attempt `attempt + 1` (attempt counts from 1): `base * 2^(attempt-1)`,
    /// capped, then "equal jitter" (between half and all of it) so that parallel requests that
    /// failed together do not come back together.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let capped = exp.min(self.max_delay);
        // `clamp` lets NaN through, and `Duration::mul_f64` panics on NaN and on overflow.
        let jitter = if jitter.is_nan() {
            1.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        Duration::try_from_secs_f64(capped.as_secs_f64() * (0.5 + 0.5 * jitter)).unwrap_or(capped)
    }

    /// Whether another attempt may start after waiting `wait`, `elapsed` after the first attempt
    /// began and `attempts` attempts in: not once the attempts are used up, nor when the wait
    /// would end past [`max_total`](Self::max_total). So a `Retry-After` beyond the budget, however
    /// large (even one no clock can add), ends the retries at once instead of being slept through.
    pub fn allows(&self, attempts: u32, elapsed: Duration, wait: Duration) -> bool {
        attempts < self.max_attempts
            && elapsed
                .checked_add(wait)
                .is_some_and(|end| end <= self.max_total)
    }
}

/// Whether a request may be sent twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Reads, updates with the full desired state, deletes: sending twice does no harm.
    Safe,
    /// Creates: retried only when the server provably did not act (429, or no connection made).
    OnlyIfNotProcessed,
    /// A hint the caller can do without (the twin listing of a refresh): one attempt, never
    /// retried, whatever the answer, so a failing server costs one attempt and not the budget.
    Once,
}

/// What to do after one attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Done,
    /// Try again, after `retry_after` if the server said so, else after the policy's backoff.
    Retry {
        retry_after: Option<Duration>,
    },
}

/// The retry rule.
pub fn decide(outcome: &Result<Response, HttpError>, replay: Replay) -> Verdict {
    if replay == Replay::Once {
        return Verdict::Done;
    }
    match outcome {
        Ok(resp) => match resp.status {
            // Rate limited: the server did not act on the request, so even a create may go again.
            429 => Verdict::Retry {
                retry_after: resp
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now())),
            },
            500 | 502 | 503 | 504 if replay == Replay::Safe => Verdict::Retry { retry_after: None },
            _ => Verdict::Done,
        },
        // No connection was made, so nothing was processed.
        Err(HttpError::Connect { .. }) => Verdict::Retry { retry_after: None },
        Err(HttpError::Timeout { .. }) | Err(HttpError::Transport { .. })
            if replay == Replay::Safe =>
        {
            Verdict::Retry { retry_after: None }
        }
        Err(_) => Verdict::Done,
    }
}

/// True when `outcome` is a garbled success that deserves one more attempt: the request is safe
/// to replay, and the answer was either too large or a 2xx whose body fails `check`. A complete
/// but unusable answer is not retried like a 5xx, over the whole budget: a proxy's hiccup is
/// cured by one more attempt, and a server that means it should be reported at once.
pub fn garbled(
    outcome: &Result<Response, HttpError>,
    replay: Replay,
    check: Option<fn(&[u8]) -> bool>,
) -> bool {
    if replay != Replay::Safe {
        return false;
    }
    match outcome {
        Err(HttpError::TooLarge { .. }) => true,
        Ok(resp) if resp.is_success() => check.is_some_and(|usable| !usable(&resp.body)),
        _ => false,
    }
}

/// `Retry-After` as delta-seconds or as an HTTP date (RFC 9110 §10.2.3). A date in the past means
/// "now". Seconds too many for a `Duration` (more digits than a `u64` holds) saturate to
/// [`Duration::MAX`]: such a wait is past any retry budget, so [`RetryPolicy::allows`] refuses it
/// and the caller gets the 429 at once. A decimal fraction (`1.5`) is tolerated although the RFC
/// allows only whole seconds. Anything else, a negative number, an exponent, `NaN`, text that is
/// no date, is ignored: the caller falls back to its own backoff.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(value) {
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    if let Some((whole, fraction)) = value.split_once('.') {
        if digits(whole) && digits(fraction) {
            let secs: f64 = value.parse().ok()?;
            return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
        }
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn resp(status: u16, retry_after: Option<&str>) -> Result<Response, HttpError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        }
        Ok(Response {
            status,
            headers,
            body: vec![],
            request_id: None,
            attempts: 1,
            echo_guard: Vec::new(),
        })
    }

    #[test]
    fn retry_after_as_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_as_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        // A date in the past means: go now.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn retry_after_extremes() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let secs = |v: &str| parse_retry_after(v, now);
        assert_eq!(
            secs("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX))
        );
        // More than a u64 holds: no panic, no "unparseable, use the backoff": the longest wait.
        assert_eq!(secs("18446744073709551616"), Some(Duration::MAX));
        assert_eq!(secs(&"9".repeat(400)), Some(Duration::MAX));
        assert_eq!(secs("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(secs("0.0"), Some(Duration::ZERO));
        assert_eq!(secs(&format!("{}.5", "9".repeat(400))), Some(Duration::MAX));
        for ignored in [
            "", "-0", "-1", "-1.5", "+5", "1e20", "1E3", "NaN", "inf", "-inf", "0x10", "1.", ".5",
            "1.5.5", "1_000", "١٢",
        ] {
            assert_eq!(secs(ignored), None, "{ignored:?}");
        }
        assert_eq!(
            secs("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(Duration::from_secs(253_402_300_799 - 1_792_567_680))
        );
        assert_eq!(secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn a_wait_past_the_budget_is_refused() {
        let p = RetryPolicy {
            max_total: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        let s = Duration::from_secs;
        assert!(p.allows(1, s(10), s(50)));
        assert!(!p.allows(1, s(10), s(51)));
        assert!(!p.allows(1, s(0), s(61)));
        assert!(
            !p.allows(1, s(1), Duration::MAX),
            "an overflowing end is past the budget"
        );
        assert!(!p.allows(1, Duration::MAX, s(1)));
        assert!(!p.allows(p.max_attempts, s(0), s(0)), "attempts used up");
        assert!(p.allows(p.max_attempts - 1, s(0), s(0)));
    }

    #[test]
    fn rate_limits_are_retried_even_for_creates() {
        for replay in [Replay::Safe, Replay::OnlyIfNotProcessed] {
            assert_eq!(
                decide(&resp(429, Some("2")), replay),
                Verdict::Retry {
                    retry_after: Some(Duration::from_secs(2))
                }
            );
            assert_eq!(
                decide(&resp(429, None), replay),
                Verdict::Retry { retry_after: None }
            );
        }
    }

    #[test]
    fn server_errors_are_retried_only_when_replay_is_safe() {
        for status in [500, 502, 503, 504] {
            assert_eq!(
                decide(&resp(status, None), Replay::Safe),
                Verdict::Retry { retry_after: None }
            );
            assert_eq!(
                decide(&resp(status, None), Replay::OnlyIfNotProcessed),
                Verdict::Done
            );
        }
        for status in [200, 400, 401, 403, 404, 409, 501] {
            assert_eq!(decide(&resp(status, None), Replay::Safe), Verdict::Done);
        }
    }

    #[test]
    fn transport_failures() {
        let connect = || {
            Err(HttpError::Connect {
                host: "h".into(),
                reason: "refused".into(),
            })
        };
        let timeout = || {
            Err(HttpError::Timeout {
                host: "h".into(),
                limit: Duration::from_secs(1),
            })
        };
        let reset = || {
            Err(HttpError::Transport {
                host: "h".into(),
                reason: "reset".into(),
            })
        };
        let redirect = || {
            Err(HttpError::Redirect {
                host: "h".into(),
                status: 302,
                location: "https://evil".into(),
            })
        };
        let retry = Verdict::Retry { retry_after: None };
        assert_eq!(decide(&connect(), Replay::OnlyIfNotProcessed), retry);
        assert_eq!(decide(&timeout(), Replay::Safe), retry);
        assert_eq!(decide(&reset(), Replay::Safe), retry);
        // A create that may have reached the server is never sent twice.
        assert_eq!(
            decide(&timeout(), Replay::OnlyIfNotProcessed),
            Verdict::Done
        );
        assert_eq!(decide(&reset(), Replay::OnlyIfNotProcessed), Verdict::Done);
        assert_eq!(decide(&redirect(), Replay::Safe), Verdict::Done);
        // A hint is asked once: no answer and no failure sends it again.
        for outcome in [
            connect(),
            timeout(),
            reset(),
            resp(503, None),
            resp(429, None),
        ] {
            assert_eq!(decide(&outcome, Replay::Once), Verdict::Done);
            assert!(!garbled(&outcome, Replay::Once, None));
        }
    }

    #[test]
    fn garbled_successes_of_safe_requests_get_one_more_attempt() {
        fn is_json(body: &[u8]) -> bool {
            serde_json::from_slice::<serde_json::Value>(body).is_ok()
        }
        let with_body = |status: u16, body: &str| {
            resp(status, None).map(|mut r| {
                r.body = body.as_bytes().to_vec();
                r
            })
        };
        let check = Some(is_json as fn(&[u8]) -> bool);
        assert!(garbled(&with_body(200, "<html>"), Replay::Safe, check));
        assert!(!garbled(&with_body(200, "{}"), Replay::Safe, check));
        assert!(!garbled(&with_body(200, "<html>"), Replay::Safe, None));
        // A create that may have been carried out is never sent twice.
        assert!(!garbled(
            &with_body(200, "<html>"),
            Replay::OnlyIfNotProcessed,
            check
        ));
        // Only successes: an error status is the retry rule's business.
        assert!(!garbled(&with_body(404, "<html>"), Replay::Safe, check));
        let too_large = || {
            Err(HttpError::TooLarge {
                host: "h".into(),
                limit: 1,
            })
        };
        assert!(garbled(&too_large(), Replay::Safe, None));
        assert!(!garbled(&too_large(), Replay::OnlyIfNotProcessed, None));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_total: Duration::from_secs(10),
        };
        assert_eq!(p.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(p.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(10, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(p.backoff(40, 0.0), Duration::from_millis(500));
        // Jitter outside [0, 1], NaN included, and delays no float can scale: no panic.
        assert_eq!(p.backoff(1, f64::NAN), Duration::from_millis(100));
        assert_eq!(p.backoff(1, -7.0), Duration::from_millis(50));
        assert_eq!(p.backoff(u32::MAX, f64::INFINITY), Duration::from_secs(1));
        let huge = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..p
        };
        assert!(huge.backoff(u32::MAX, 1.0) >= Duration::from_secs(u64::MAX / 2));
    }
}
