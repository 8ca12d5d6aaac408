//! What tells one integration from another, written once for every place that compares: the
//! lock that makes creates of one integration take turns, the check for a twin before a create
//! or an update, the lookup after a lost create, and the twin a refresh may find beside a
//! managed connector.
//!
//! An integration is its catalog and its plain configuration values (for Coupa: the domain and
//! the client ID; secrets are never returned, so they never count). Each value is compared in
//! the form the caller's [`Comparable`] gives it (for Coupa's domain, the one normalisation
//! `coupa::domain::comparable`), never as raw text.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::conductorone::client::ConductorOne;
use crate::conductorone::endpoints::LIST_MAX_PAGES;
use crate::conductorone::error::ApiError;
use crate::conductorone::model::{ConfigValue, ConfigValues, Connector, ConnectorList};
use crate::http::Replay;

/// The comparable form of the plain config value `value` of key `key`: the caller's rule.
pub type Comparable = fn(key: &str, value: &str) -> String;

/// An integration as every comparison sees it: its catalog and its plain values, each in
/// comparable form.
#[derive(Clone, Debug)]
pub struct Identity {
    catalog_id: String,
    values: BTreeMap<String, String>,
    comparable: Comparable,
}

/// What a look for twins found in an app's listing.
#[derive(Debug, Default)]
pub struct Twins {
    /// Live connectors of the same integration.
    pub twins: Vec<Connector>,
    /// Live connectors of the same catalog whose values neither the listing nor a read showed.
    pub unknown: Vec<Connector>,
    /// Whether the listing had every connector of the app.
    pub complete: bool,
    /// How many connectors the listing had.
    pub listed: usize,
    /// The IDs of every connector listed (live or deleted), for the lookup after a create.
    pub ids: BTreeSet<String>,
}

impl Identity {
    /// The identity of an integration of `catalog_id` configured with `config`.
    pub fn new(catalog_id: &str, config: &ConfigValues, comparable: Comparable) -> Identity {
        let values = config
            .iter()
            .filter_map(|(k, v)| match v {
                ConfigValue::Plain(v) => Some((k.clone(), comparable(k, v))),
                ConfigValue::Secret(_) => None,
            })
            .collect();
        Identity {
            catalog_id: catalog_id.to_owned(),
            values,
            comparable,
        }
    }

    /// The key of [`ConductorOne::create_lock`]: the app, the catalog and the comparable values.
    pub(crate) fn lock_key(&self, app_id: &str) -> String {
        let mut key = format!("{app_id}\n{}", self.catalog_id);
        for (k, v) in &self.values {
            key.push_str(&format!("\n{k}={v}"));
        }
        key
    }

    fn theirs(&self, c: &Connector, key: &str) -> Option<String> {
        let cfg = c.config.as_ref()?;
        cfg.values.get(key).map(|v| (self.comparable)(key, v))
    }

    /// Live and of the same catalog.
    fn in_catalog(&self, c: &Connector) -> bool {
        !c.is_deleted() && c.catalog_id == self.catalog_id
    }

    /// Whether `c` shows a value for every plain key (so that a comparison can tell).
    pub fn shows_keys(&self, c: &Connector) -> bool {
        self.values.keys().all(|k| self.theirs(c, k).is_some())
    }

    /// Whether `c` is a live connector of this integration: the same catalog, and every plain
    /// value shown and equal in comparable form.
    pub fn is_twin(&self, c: &Connector) -> bool {
        self.in_catalog(c)
            && self
                .values
                .iter()
                .all(|(k, ours)| self.theirs(c, k).as_ref() == Some(ours))
    }

    /// Whether `c` may be of this integration: live, of the same catalog, and no value shown
    /// that differs. Owners and creation times never rule one out (a server may add the caller
    /// to the owners, and the two clocks may differ).
    pub fn may_be(&self, c: &Connector) -> bool {
        self.in_catalog(c)
            && self
                .values
                .iter()
                .all(|(k, ours)| self.theirs(c, k).is_none_or(|t| &t == ours))
    }
}

impl ConductorOne {
    /// The live connectors of `identity` in `app_id` other than `except` (the connector being
    /// updated, if any), from one listing. A connector of the catalog whose listing leaves its
    /// values out is read to learn them (at most [`LIST_MAX_PAGES`] reads); one whose values
    /// stay unknown is reported in [`Twins::unknown`].
    pub async fn twins(
        &self,
        app_id: &str,
        identity: &Identity,
        except: Option<&str>,
    ) -> Result<Twins, ApiError> {
        let listing = self.list(app_id).await?;
        let mut found = Twins {
            complete: listing.complete,
            listed: listing.connectors.len(),
            ids: listing.connectors.iter().map(|c| c.id.clone()).collect(),
            ..Twins::default()
        };
        let mut reads = 0usize;
        for c in listing.connectors {
            if !identity.in_catalog(&c) || Some(c.id.as_str()) == except {
                continue;
            }
            let c = if identity.shows_keys(&c) || reads >= LIST_MAX_PAGES {
                c
            } else {
                reads += 1;
                match self.get(app_id, &c.id).await {
                    Ok(read) if read.is_deleted() => continue,
                    Ok(read) => read,
                    Err(e) => {
                        tracing::warn!(app_id, id = %c.id, error = %e, "could not read a connector to learn its configuration");
                        c
                    }
                }
            };
            if identity.is_twin(&c) {
                found.twins.push(c);
            } else if !identity.shows_keys(&c) {
                found.unknown.push(c);
            }
        }
        Ok(found)
    }

    /// The app's connector listing as this plugin process first made it, shared by every caller
    /// (a refresh of each managed connector looks for a twin in it): one listing per app per
    /// process, whatever the number of connectors refreshed. Only a hint: each page is asked
    /// once, never retried ([`Replay::Once`]), so a failing listing costs one attempt and never
    /// the retry budget. `None` when it failed (one log line, and not asked again in this
    /// process).
    pub async fn shared_listing(&self, app_id: &str) -> Option<Arc<ConnectorList>> {
        self.listing_cell(app_id)
            .get_or_init(|| async {
                match self.list_with(app_id, Replay::Once).await {
                    Ok(list) => Some(Arc::new(list)),
                    Err(e) => {
                        tracing::warn!(app_id, error = %e, "could not list the app's connectors to look for twins");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// The live connectors of `identity` other than `except` in the app's shared listing
    /// ([`ConductorOne::shared_listing`]): only those whose values the listing shows (no read
    /// is made for the others).
    pub async fn listed_twins(
        &self,
        app_id: &str,
        identity: &Identity,
        except: &str,
    ) -> Vec<Connector> {
        let Some(listing) = self.shared_listing(app_id).await else {
            return Vec::new();
        };
        listing
            .connectors
            .iter()
            .filter(|c| c.id != except && identity.is_twin(c))
            .cloned()
            .collect()
    }
}
