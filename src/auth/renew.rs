//! "401 → renew once": an API call refused with a token it was sent with gets exactly one more
//! try, with a new token, over any [`Source`] of tokens.

use std::future::Future;
use std::time::Duration;

use super::bearer::Bearer;
use crate::http::Response;

/// Where a client's calls get their token: its grant over the token cache.
pub trait Source: Sync {
    type Error;

    /// For log lines: "Coupa", "ConductorOne".
    fn service(&self) -> &'static str;

    /// A valid token: the cached one, or a new one.
    fn token(&self) -> impl Future<Output = Result<Bearer, Self::Error>> + Send;

    /// Forget `rejected` (an API call was answered 401 with it), so the next [`Source::token`]
    /// asks for a new one; a token another caller already replaced is left alone.
    fn forget(&self, rejected: &Bearer) -> impl Future<Output = ()> + Send;

    /// False for a token that asking again would only repeat (a static token): a 401 is then
    /// the answer.
    fn renewable(&self) -> bool {
        true
    }
}

/// Send with a token from `source`; when the answer is 401, send once more with a new token,
/// and return the last answer with the token it was sent with.
///
/// A 401 on a token younger than `grace` does not renew it: the same token goes again once it
/// is `grace` old (Coupa asks for a pause between minting a token and using it, and a new token
/// would only restart that clock).
pub async fn send_renewing_once<S, R, F, Fut>(
    source: &S,
    grace: Duration,
    mut send: F,
) -> Result<(Response, Bearer), R>
where
    S: Source,
    R: From<S::Error>,
    F: FnMut(&Bearer) -> Fut,
    Fut: Future<Output = Result<Response, R>>,
{
    let token = source.token().await?;
    let resp = send(&token).await?;
    // A 401 means the request was not processed, so even a create may go again.
    if resp.status != 401 || !source.renewable() {
        return Ok((resp, token));
    }
    tracing::debug!("{} answered 401; renewing the token", source.service());
    if token.age() >= grace {
        source.forget(&token).await;
    }
    let token = source.token().await?;
    tokio::time::sleep(grace.saturating_sub(token.age())).await;
    let resp = send(&token).await?;
    Ok((resp, token))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    use tokio::time::Instant;

    use super::*;
    use crate::http::testing::response;

    /// Hands out `tok-N`, a new N after each `forget`.
    struct Fake {
        minted: AtomicU32,
        forgotten: Mutex<Vec<String>>,
        renewable: bool,
    }

    impl Fake {
        fn new(renewable: bool) -> Fake {
            Fake {
                minted: AtomicU32::new(1),
                forgotten: Mutex::new(Vec::new()),
                renewable,
            }
        }
    }

    impl Source for Fake {
        type Error = String;

        fn service(&self) -> &'static str {
            "Fake"
        }

        async fn token(&self) -> Result<Bearer, String> {
            let n = self.minted.load(Ordering::SeqCst);
            Ok(Bearer::new(&format!("tok-{n}"), Instant::now()).unwrap())
        }

        async fn forget(&self, rejected: &Bearer) {
            let value = rejected.secret().expose().to_owned();
            self.forgotten.lock().unwrap().push(value);
            self.minted.fetch_add(1, Ordering::SeqCst);
        }

        fn renewable(&self) -> bool {
            self.renewable
        }
    }

    /// Sends with each token, answering the statuses in order; returns the tokens sent.
    async fn run(source: &Fake, grace: Duration, statuses: &[u16]) -> (u16, Vec<String>) {
        let sent = Mutex::new(Vec::new());
        let send = |token: &Bearer| {
            let mut sent = sent.lock().unwrap();
            sent.push(token.secret().expose().to_owned());
            let status = statuses[sent.len() - 1];
            async move { Ok::<_, String>(response(status, Vec::new(), "application/json")) }
        };
        let (resp, _) = send_renewing_once(source, grace, send).await.unwrap();
        (resp.status, sent.into_inner().unwrap())
    }

    #[tokio::test]
    async fn a_401_renews_once_and_tries_once_more() {
        let fake = Fake::new(true);
        let (status, sent) = run(&fake, Duration::ZERO, &[401, 401]).await;
        assert_eq!((status, sent), (401, vec!["tok-1".into(), "tok-2".into()]));
        assert_eq!(*fake.forgotten.lock().unwrap(), ["tok-1"]);
        let (status, sent) = run(&Fake::new(true), Duration::ZERO, &[200]).await;
        assert_eq!((status, sent.len()), (200, 1));
    }

    #[tokio::test]
    async fn a_token_that_cannot_be_renewed_is_not_sent_again() {
        let fake = Fake::new(false);
        let (status, sent) = run(&fake, Duration::ZERO, &[401]).await;
        assert_eq!((status, sent), (401, vec!["tok-1".into()]));
        assert!(fake.forgotten.lock().unwrap().is_empty());
    }

    /// A token younger than the grace is kept and sent again once it is that old.
    #[tokio::test]
    async fn a_fresh_token_waits_out_the_grace_instead_of_renewing() {
        let fake = Fake::new(true);
        let started = Instant::now();
        let grace = Duration::from_millis(50);
        let (status, sent) = run(&fake, grace, &[401, 200]).await;
        assert_eq!((status, sent), (200, vec!["tok-1".into(), "tok-1".into()]));
        assert!(fake.forgotten.lock().unwrap().is_empty());
        assert!(started.elapsed() >= grace);
    }
}
