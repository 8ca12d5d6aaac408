use std::sync::atomic::AtomicU32;
use std::time::Duration;

use super::*;

type Cache = TokenCache<&'static str, String, String>;

/// Mints `tok-N` (N counting from 1) valid for `lifetime`, renewed `margin` before its end,
/// after `delay`; or fails with `fail` when set.
struct Minter {
    minted: AtomicU32,
    lifetime: Duration,
    margin: Duration,
    delay: Duration,
    fail: Mutex<Option<String>>,
}

impl Minter {
    /// Milliseconds: real time, as tokio's paused clock needs a feature nothing else uses.
    fn new(lifetime: u64, margin: u64) -> Arc<Self> {
        Arc::new(Minter {
            minted: AtomicU32::new(0),
            lifetime: Duration::from_millis(lifetime),
            margin: Duration::from_millis(margin),
            delay: Duration::from_millis(50),
            fail: Mutex::new(None),
        })
    }

    fn fail_with(&self, error: Option<&str>) {
        *self.fail.lock().unwrap() = error.map(str::to_owned);
    }

    async fn mint(&self) -> Result<Lease<String>, String> {
        let n = self.minted.fetch_add(1, Ordering::SeqCst) + 1;
        let started = Instant::now();
        tokio::time::sleep(self.delay).await;
        if let Some(error) = self.fail.lock().unwrap().clone() {
            return Err(format!("{error} #{n}"));
        }
        Ok(Lease {
            token: format!("tok-{n}"),
            renew_at: started + self.lifetime - self.margin,
            expires_at: started + self.lifetime,
        })
    }

    fn count(&self) -> u32 {
        self.minted.load(Ordering::SeqCst)
    }
}

async fn get(cache: &Cache, key: &'static str, minter: &Arc<Minter>) -> Result<String, String> {
    cache.get(&key, || minter.mint()).await
}

/// `n` callers at once, their answers in the order they finished.
async fn concurrently(
    cache: &Arc<Cache>,
    minter: &Arc<Minter>,
    n: usize,
) -> Vec<Result<String, String>> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (cache, minter) = (cache.clone(), minter.clone());
        set.spawn(async move { get(&cache, "k", &minter).await });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

#[tokio::test]
async fn concurrent_callers_share_one_mint() {
    let cache = Arc::new(Cache::new("Test"));
    let minter = Minter::new(60_000, 6_000);
    let got = concurrently(&cache, &minter, 20).await;
    assert!(got.iter().all(|r| r.as_deref() == Ok("tok-1")), "{got:?}");
    assert_eq!((minter.count(), cache.mints()), (1, 1));
}

#[tokio::test]
async fn concurrent_callers_share_a_failure_that_later_callers_do_not_see() {
    let cache = Arc::new(Cache::new("Test"));
    let minter = Minter::new(60_000, 6_000);
    minter.fail_with(Some("refused"));
    let got = concurrently(&cache, &minter, 20).await;
    assert!(
        got.iter()
            .all(|r| r.as_deref() == Err(&"refused #1".to_owned())),
        "{got:?}"
    );
    assert_eq!(minter.count(), 1);
    // A later caller tries again: failures are not cached.
    minter.fail_with(None);
    assert_eq!(get(&cache, "k", &minter).await.unwrap(), "tok-2");
}

#[tokio::test]
async fn a_token_is_renewed_at_its_margin_not_at_its_expiry() {
    let cache = Cache::new("Test");
    let minter = Minter::new(1000, 500);
    assert_eq!(get(&cache, "k", &minter).await.unwrap(), "tok-1");
    // Minted at t=0 (the request's start), renewed from t=500 ms on, not from its expiry.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(get(&cache, "k", &minter).await.unwrap(), "tok-1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(&cache, "k", &minter).await.unwrap(), "tok-2");
    assert_eq!(minter.count(), 2);
}

#[tokio::test]
async fn a_valid_token_is_kept_when_its_renewal_fails() {
    let cache = Arc::new(Cache::new("Test"));
    let minter = Minter::new(1000, 500);
    get(&cache, "k", &minter).await.unwrap();
    tokio::time::sleep(Duration::from_millis(550)).await;
    minter.fail_with(Some("token endpoint down"));
    // Past the renew margin, before expiry: every caller (waiters included) gets the current
    // token, and the next caller tries to renew again.
    let got = concurrently(&cache, &minter, 5).await;
    assert!(got.iter().all(|r| r.as_deref() == Ok("tok-1")), "{got:?}");
    assert_eq!((minter.count(), cache.kept()), (2, 5));
    assert_eq!(get(&cache, "k", &minter).await.unwrap(), "tok-1");
    assert_eq!(minter.count(), 3);
    // Once expired it is no longer served: the failure is the answer.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let err = get(&cache, "k", &minter).await.unwrap_err();
    assert_eq!(err, "token endpoint down #4");
    // And the renewal that works replaces it.
    minter.fail_with(None);
    assert_eq!(get(&cache, "k", &minter).await.unwrap(), "tok-5");
}

#[tokio::test]
async fn a_rejected_token_is_renewed_once() {
    let cache = Arc::new(Cache::new("Test"));
    let minter = Minter::new(60_000, 6_000);
    let first = get(&cache, "k", &minter).await.unwrap();
    // Ten callers were refused with tok-1 at once: one renewal for all of them.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (cache, minter, first) = (cache.clone(), minter.clone(), first.clone());
        set.spawn(async move {
            cache.invalidate(&"k", &first).await;
            get(&cache, "k", &minter).await
        });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap(), "tok-2");
    }
    assert_eq!(minter.count(), 2);
    // A rejected token is not kept when its renewal fails.
    cache.invalidate(&"k", &"tok-2".to_owned()).await;
    minter.fail_with(Some("down"));
    assert_eq!(get(&cache, "k", &minter).await.unwrap_err(), "down #3");
}

#[tokio::test]
async fn keys_have_their_own_tokens() {
    let cache = Cache::new("Test");
    let minter = Minter::new(60_000, 6_000);
    assert_eq!(get(&cache, "a", &minter).await.unwrap(), "tok-1");
    assert_eq!(get(&cache, "b", &minter).await.unwrap(), "tok-2");
    assert_eq!(get(&cache, "a", &minter).await.unwrap(), "tok-1");
    cache.invalidate(&"b", &"tok-1".to_owned()).await;
    assert_eq!(get(&cache, "a", &minter).await.unwrap(), "tok-1");
    assert_eq!(cache.mints(), 2);
}
