//! Coupa's documented limit, "25 requests per second and a burst query limit of 20 calls"
//! (reference §5), as a token bucket: it holds at most `burst` tokens, refills at `rps` per second,
//! and each request takes one. Time is passed in, so tests need no sleeping.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Bucket {
    rps: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rps: f64, burst: f64, now: Instant) -> Self {
        let rps = rps.max(0.001);
        let burst = burst.max(1.0);
        Bucket {
            rps,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token, or says how long until one is available.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.rps).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rps))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(25.0, 20.0, t0);
        for _ in 0..20 {
            assert!(b.take(t0).is_ok());
        }
        let wait = b.take(t0).unwrap_err();
        assert!(wait <= Duration::from_millis(40) && wait > Duration::ZERO);
        // 40 ms later exactly one more token has dripped in.
        let t1 = t0 + Duration::from_millis(40);
        assert!(b.take(t1).is_ok());
        assert!(b.take(t1).is_err());
        // Over one second, at most 25 more requests pass, not 45.
        let mut ok = 0;
        for ms in 0..1000 {
            if b.take(t1 + Duration::from_millis(ms)).is_ok() {
                ok += 1;
            }
        }
        assert!((24..=26).contains(&ok), "{ok}");
        // A long idle refills only up to the burst.
        let t2 = t1 + Duration::from_secs(60);
        let passed = (0..30).filter(|_| b.take(t2).is_ok()).count();
        assert_eq!(passed, 20);
    }
}
