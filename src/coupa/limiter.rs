//! A client-side token bucket, so we stay under Coupa's rate limit instead of running into it.
//!
//! Coupa allows 25 requests per second with a burst of 20 and answers 429 beyond that. The HTTP
//! layer does retry a 429, but each one costs a backoff, and the default backoff when Coupa sends no
//! `Retry-After` is far longer than the 40 ms that waiting our turn costs. So every request to Coupa
//! (token requests included) first takes a [`Permit`] from one bucket shared by the whole process.
//! The defaults (see `client::Tuning`) sit slightly under Coupa's figures: a burst of 18 where
//! Coupa allows 20, and 24.75 requests/s where it allows 25.
//!
//! Why that cannot trip Coupa's bucket: our requests leave conforming to a bucket of `B` tokens
//! at `r`/s, so any `n` consecutive ones leave over at least `(n - B) / r` s. If they reach Coupa
//! with delays that differ by at most `J`, they arrive over at least `(n - B) / r - J` s, in which
//! Coupa's bucket (20 at 25/s) admits `20 + 25 × ((n - B) / r - J)`, which is at least `n` while
//! `B + 25 × J ≤ 20` and `r ≤ 25`: with `B` = 18, any jitter up to 80 ms. A rate 1% under 25
//! widens that margin by one token every 4 s of steady paging. Another tool spending the same
//! instance's budget at the same moment is not covered: its requests and ours then meet 429s,
//! which the HTTP layer retries.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Proof that a request may go out now. Only [`RateLimiter::acquire`] makes one, so a function
/// that takes a `Permit` cannot be called without having waited its turn.
#[must_use = "a permit stands for one request; hand it back with `refund` if no request is sent"]
#[derive(Debug)]
pub struct Permit(());

#[derive(Debug)]
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// `per_sec` tokens flow in each second, up to `burst` saved; the bucket starts full.
    pub fn new(per_sec: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            // NaN, zero and negative rates mean the default; infinity means no waiting.
            per_sec: if per_sec > 0.0 { per_sec } else { 1.0 },
            burst,
            bucket: Mutex::new(Bucket {
                tokens: burst,
                updated: Instant::now(),
            }),
        }
    }

    /// Wait until a request may be sent.
    ///
    /// Cancel-safe: a token is only taken when this returns, so a dropped wait takes nothing.
    /// Waiters are not served in order, which only matters for fairness, never for the rate.
    pub async fn acquire(&self) -> Permit {
        loop {
            let wait = {
                let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
                self.refill(&mut b);
                // The epsilon absorbs float rounding after sleeping exactly the computed wait.
                if b.tokens >= 1.0 - 1e-9 {
                    b.tokens -= 1.0;
                    return Permit(());
                }
                // A rate so slow that the wait overflows a `Duration` waits as long as tokio can.
                Duration::try_from_secs_f64((1.0 - b.tokens) / self.per_sec)
                    .unwrap_or(Duration::MAX)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Give back a permit that was not used (the work it was for turned out to be unneeded).
    pub fn refund(&self, permit: Permit) {
        let Permit(()) = permit;
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        self.refill(&mut b);
        b.tokens = (b.tokens + 1.0).min(self.burst);
    }

    fn refill(&self, b: &mut Bucket) {
        let now = Instant::now();
        let earned = now.duration_since(b.updated).as_secs_f64() * self.per_sec;
        b.tokens = (b.tokens + earned).min(self.burst);
        b.updated = now;
    }
}

#[cfg(test)]
mod tests {
    //! Real time, kept short: tokio's paused clock needs its `test-util` feature.
    use super::*;

    fn secs_since(start: Instant) -> f64 {
        start.elapsed().as_secs_f64()
    }

    #[tokio::test]
    async fn burst_then_steady_rate() {
        let limiter = RateLimiter::new(100.0, 10);
        let start = Instant::now();
        for _ in 0..10 {
            let _ = limiter.acquire().await;
        }
        assert!(secs_since(start) < 0.02, "the burst is free");
        for _ in 0..40 {
            let _ = limiter.acquire().await;
        }
        let secs = secs_since(start);
        assert!(
            (0.39..0.6).contains(&secs),
            "40 more at 100/s take 0.4 s, took {secs}"
        );
    }

    #[tokio::test]
    async fn refund_returns_a_token_and_never_exceeds_burst() {
        let limiter = RateLimiter::new(10.0, 2);
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        limiter.refund(a);
        let start = Instant::now();
        let c = limiter.acquire().await;
        assert!(secs_since(start) < 0.02, "the refunded token is there");
        limiter.refund(c);
        tokio::time::sleep(Duration::from_millis(500)).await;
        for _ in 0..2 {
            let _ = limiter.acquire().await;
        }
        let start = Instant::now();
        let _ = limiter.acquire().await;
        assert!(secs_since(start) >= 0.09, "the bucket holds at most 2");
    }

    /// Rates no one should configure do not panic: a rate so slow that the wait overflows a
    /// `Duration` just waits, infinity never waits, and NaN, zero or negative mean 1/s.
    #[tokio::test]
    async fn extreme_rates_never_panic() {
        let short = Duration::from_millis(30);
        let slow = RateLimiter::new(1e-300, 1);
        let _ = slow.acquire().await;
        assert!(tokio::time::timeout(short, slow.acquire()).await.is_err());
        let fast = RateLimiter::new(f64::INFINITY, 1);
        let start = Instant::now();
        for _ in 0..100 {
            let _ = fast.acquire().await;
        }
        assert!(secs_since(start) < 0.1);
        for rate in [f64::NAN, 0.0, -5.0, f64::NEG_INFINITY] {
            let limiter = RateLimiter::new(rate, 0);
            let _ = limiter.acquire().await;
            assert!(tokio::time::timeout(short, limiter.acquire())
                .await
                .is_err());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_waiters_share_the_rate() {
        let limiter = std::sync::Arc::new(RateLimiter::new(100.0, 1));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let l = limiter.clone();
            tasks.spawn(async move {
                for _ in 0..5 {
                    let _ = l.acquire().await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let secs = secs_since(start);
        assert!(
            (0.38..0.6).contains(&secs),
            "40 permits at 100/s after 1 free: {secs}"
        );
    }
}
