//! The connector ("integration") endpoints: create, get, list, update, delete, and the recovery
//! of a create whose answer was lost.
//!
//! Paths are `/api/v1/apps/{app_id}/connectors/…`. Two traps from the API: a create goes to
//! `…/connectors/create` (a POST to the collection is a different operation that takes no
//! config), and an update is a POST to the object with a comma-separated `updateMask`.
//!
//! ## A create whose answer is lost
//!
//! A create is a POST that makes a new connector each time it is carried out, so the HTTP layer
//! sends it again only when the server provably did not act (a 429, or no connection made). When
//! the outcome is ambiguous, because the connection broke, the answer was too slow, cut short or
//! unreadable, or the server failed with a 5xx after perhaps acting, sending it again could leave
//! two connectors, and giving up could leave one that no state records: an orphan, which the
//! next apply would duplicate. [`ConductorOne::create_or_recover`] does neither. It lists the
//! app's connectors and adopts the one this request made: same catalog, same plain configuration
//! values (the Coupa domain and client ID; secrets are never returned), same owners when owners
//! were given, not deleted, and created after the request started (less a minute for the
//! difference between the two clocks). Exactly one such connector is adopted; none means the
//! create was not carried out, and the caller reports the failure so that the next apply creates
//! it; several (identical integrations created in the same minute) are reported by ID rather than
//! guessed between. After a timeout or a 504, when the server may still be working on the
//! request, an empty first look is followed by a second one a moment later.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;

use super::client::ConductorOne;
use super::error::ApiError;
use super::model::{unix_seconds, ConfigValue, Connector, NewConnector};
use crate::http::{HttpError, Replay};
use wire::{json_body, segment};

/// How much earlier than our clock ConductorOne's may stamp a connector we just created.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

/// The longest pause before the second look after a timeout.
const MAX_SETTLE: Duration = Duration::from_secs(5);

/// A successful [`ConductorOne::create_or_recover`].
#[derive(Debug)]
pub enum Created {
    /// The create answered with the connector.
    Answered(Connector),
    /// The create's answer was lost (`lost` says how), but the connector it made was found.
    Recovered {
        connector: Connector,
        lost: ApiError,
    },
}

impl Created {
    pub fn connector(&self) -> &Connector {
        match self {
            Created::Answered(c) | Created::Recovered { connector: c, .. } => c,
        }
    }
}

/// A failed create, and what looking for its connector found.
#[derive(Debug)]
pub struct CreateError {
    pub error: ApiError,
    pub lookup: Lookup,
}

/// What a look at the app's connectors after a failed create found.
#[derive(Debug)]
pub enum Lookup {
    /// The request was refused, or never reached the server: no connector can exist.
    NotNeeded,
    /// No connector this request could have made: it was not carried out.
    NoneFound,
    /// Several connectors could be the one this request made (their IDs); none was adopted.
    Ambiguous(Vec<String>),
    /// Listing the connectors failed as well.
    Failed(ApiError),
    /// None found among the first `listed` connectors, but the app has more than one lookup
    /// reads ([`LIST_MAX_PAGES`] pages): the connector may be among the rest.
    Incomplete { listed: usize },
}

/// The connector operations, on the client itself (connectors are all it serves today).
impl ConductorOne {
    /// Create a configured connector. Sent once unless the server provably did not act on it:
    /// a replayed create would make a second connector. See [`ConductorOne::create_or_recover`]
    /// for what to do when this fails.
    pub async fn create(&self, app_id: &str, new: &NewConnector) -> Result<Connector, ApiError> {
        let path = [
            "api",
            "v1",
            "apps",
            segment("app ID", app_id)?,
            "connectors",
            "create",
        ];
        let sent = new.secrets();
        let body = json_body(&new.to_json());
        let resp = self
            .call(
                Method::POST,
                self.url(&path),
                body,
                Replay::OnlyIfNotProcessed,
                &sent,
                None,
            )
            .await?;
        read_connector(&resp, "the connector create", &sent)
    }

    /// [`ConductorOne::create`], and when its outcome is ambiguous, a look for the connector it
    /// may have made (see the module documentation): never a second connector, never an orphan.
    pub async fn create_or_recover(
        &self,
        app_id: &str,
        new: &NewConnector,
    ) -> Result<Created, CreateError> {
        let started = SystemTime::now();
        let error = match self.create(app_id, new).await {
            Ok(connector) => return Ok(Created::Answered(connector)),
            Err(e) => e,
        };
        if !may_have_acted(&error) {
            return Err(CreateError {
                error,
                lookup: Lookup::NotNeeded,
            });
        }
        let since = created_since(started);
        let settle = self.http().config().attempt_timeout.min(MAX_SETTLE);
        let mut looks = if still_working(&error) { 2 } else { 1 };
        let lookup = loop {
            looks -= 1;
            tracing::info!(
                app_id, error = %error,
                "the connector create failed ambiguously; looking for the connector it may have made"
            );
            match self.list(app_id).await {
                Err(e) => break Lookup::Failed(e),
                Ok(all) => {
                    let listed = all.connectors.len();
                    let mut found: Vec<Connector> = all
                        .connectors
                        .into_iter()
                        .filter(|c| made_by(c, new, since))
                        .collect();
                    match found.len() {
                        1 => {
                            let connector = found.remove(0);
                            tracing::warn!(
                                app_id, id = %connector.id,
                                "adopted the connector that the failed create made"
                            );
                            return Ok(Created::Recovered {
                                connector,
                                lost: error,
                            });
                        }
                        0 if looks > 0 => tokio::time::sleep(settle).await,
                        0 if !all.complete => break Lookup::Incomplete { listed },
                        0 => break Lookup::NoneFound,
                        _ => break Lookup::Ambiguous(found.into_iter().map(|c| c.id).collect()),
                    }
                }
            }
        };
        Err(CreateError { error, lookup })
    }
}

/// Whether the server may have carried out a create that failed with `e`: anything but a refusal
/// (4xx), a request that never left (no token, invalid arguments) or a connection never made.
fn may_have_acted(e: &ApiError) -> bool {
    match e {
        ApiError::Http(HttpError::Connect { .. } | HttpError::Certificate { .. }) => false,
        ApiError::Http(_) | ApiError::Decode { .. } => true,
        ApiError::Status { status, .. } => *status >= 500,
        ApiError::Token(_) | ApiError::Invalid(_) | ApiError::Unproven { .. } => false,
    }
}

/// Whether the server may still be working on a request that failed with `e`: we stopped
/// waiting, or a gateway did.
fn still_working(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Http(HttpError::Timeout { .. }) | ApiError::Status { status: 504, .. }
    )
}

/// The earliest creation time, in Unix seconds, of a connector made by a create sent at
/// `started`: less [`CLOCK_SLACK`], never before 1970, and `i64::MAX` (nothing matches) for a
/// clock past what an `i64` counts.
fn created_since(started: SystemTime) -> i64 {
    started
        .checked_sub(CLOCK_SLACK)
        .unwrap_or(UNIX_EPOCH)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whether `c` is the connector that the create of `new` made, started at `since` (Unix seconds).
fn made_by(c: &Connector, new: &NewConnector, since: i64) -> bool {
    if c.is_deleted() || c.catalog_id != new.catalog_id {
        return false;
    }
    let created = c.created_at.as_deref().and_then(unix_seconds);
    if created.is_none_or(|t| t < since) {
        return false;
    }
    let values = c.config.as_ref().map(|cfg| &cfg.values);
    let same_config = new.config.iter().all(|(key, value)| match value {
        ConfigValue::Plain(v) => values.and_then(|vals| vals.get(key)) == Some(v),
        // Never returned by the API.
        ConfigValue::Secret(_) => true,
    });
    let mut want = new.user_ids.clone();
    let mut have = c.user_ids.clone();
    want.sort();
    have.sort();
    same_config && (want.is_empty() || want == have)
}

mod read;
mod wire;
mod write;

pub use read::{ConnectorList, Gone, Read, LIST_MAX_PAGES, LIST_PAGE_SIZE};
pub(crate) use wire::read_connector;
pub use write::UpdateError;

#[cfg(test)]
mod on_the_wire;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conductorone::model::EnvConfig;
    use crate::secret::Secret;
    use std::collections::BTreeMap;

    fn new() -> NewConnector {
        NewConnector {
            catalog_id: "cat".into(),
            user_ids: vec![],
            config: BTreeMap::from([
                (
                    "coupa-domain".to_owned(),
                    ConfigValue::from("acme.coupahost.com"),
                ),
                ("client-id".to_owned(), ConfigValue::from("cid")),
                (
                    "secret".to_owned(),
                    ConfigValue::from(Secret::new("s3cr3t")),
                ),
            ]),
        }
    }

    /// What the API lists for the connector `new()` made at 2025-01-02T03:04:05Z.
    fn listed() -> Connector {
        Connector {
            id: "c1".into(),
            catalog_id: "cat".into(),
            user_ids: vec!["u1".into()],
            config: Some(EnvConfig {
                values: BTreeMap::from([
                    ("coupa-domain".to_owned(), "acme.coupahost.com".to_owned()),
                    ("client-id".to_owned(), "cid".to_owned()),
                ]),
            }),
            created_at: Some("2025-01-02T03:04:05.5Z".into()),
            ..Default::default()
        }
    }

    const SINCE: i64 = 1_735_787_045 - 60;

    #[test]
    fn the_creation_window_starts_a_minute_early_at_any_clock() {
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(created_since(at(1_735_787_045)), SINCE);
        assert_eq!(created_since(at(30)), 0, "never before 1970");
        assert_eq!(created_since(UNIX_EPOCH - Duration::from_secs(86_400)), 0);
        // The latest clock a SystemTime holds: a huge positive number, not wrapped below zero.
        let latest = UNIX_EPOCH
            .checked_add(Duration::from_secs(i64::MAX.unsigned_abs()))
            .unwrap();
        assert_eq!(created_since(latest), i64::MAX - 60);
        assert!(!made_by(&listed(), &new(), created_since(latest)));
    }

    #[test]
    fn a_lost_create_is_recognised_by_catalog_config_owners_and_time() {
        assert!(made_by(&listed(), &new(), SINCE));
        // Owners count only when the request named them.
        let mut with_owners = new();
        with_owners.user_ids = vec!["u1".into()];
        assert!(made_by(&listed(), &with_owners, SINCE));
        with_owners.user_ids = vec!["u2".into()];
        assert!(!made_by(&listed(), &with_owners, SINCE));

        let variants: [fn(&mut Connector); 6] = [
            |c| c.deleted_at = Some("2025-01-02T03:05:00Z".into()),
            |c| c.catalog_id = "other".into(),
            |c| c.created_at = Some("2025-01-02T03:02:00Z".into()),
            |c| c.created_at = None,
            |c| {
                c.config
                    .as_mut()
                    .unwrap()
                    .values
                    .insert("client-id".into(), "other".into());
            },
            |c| c.config = None,
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut c = listed();
            change(&mut c);
            assert!(!made_by(&c, &new(), SINCE), "variant {i}");
        }
    }

    #[test]
    fn only_ambiguous_failures_are_looked_up() {
        let http = |e: HttpError| ApiError::Http(e);
        let status = |s: u16| ApiError::Status {
            status: s,
            code: None,
            message: String::new(),
            request_id: None,
            at: "h/p".into(),
        };
        let host = || "h".to_owned();
        assert!(!may_have_acted(&http(HttpError::Connect {
            host: host(),
            reason: "refused".into()
        })));
        assert!(may_have_acted(&http(HttpError::Transport {
            host: host(),
            reason: "reset".into()
        })));
        assert!(may_have_acted(&status(502)));
        assert!(!may_have_acted(&status(400)));
        assert!(!may_have_acted(&status(429)));
        assert!(!may_have_acted(&ApiError::Invalid("x".into())));
        let timeout = http(HttpError::Timeout {
            host: host(),
            limit: Duration::from_secs(1),
        });
        assert!(may_have_acted(&timeout) && still_working(&timeout));
        assert!(still_working(&status(504)) && !still_working(&status(500)));
    }
}
