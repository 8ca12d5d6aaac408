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
/// would only restart that clock). `send` is told whether it is the second try.
pub async fn send_renewing_once<S, R, F, Fut>(
    source: &S,
    grace: Duration,
    mut send: F,
) -> Result<(Response, Bearer), R>
where
    S: Source,
    R: From<S::Error>,
    F: FnMut(&Bearer, bool) -> Fut,
    Fut: Future<Output = Result<Response, R>>,
{
    let token = source.token().await?;
    let resp = send(&token, false).await?;
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
    let resp = send(&token, true).await?;
    Ok((resp, token))
}
