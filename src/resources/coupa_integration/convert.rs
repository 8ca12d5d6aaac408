//! Between ConductorOne connectors and the Terraform state.

use std::collections::BTreeSet;

use tf_provider::value::Value;

use super::state::State;
use crate::conductorone::catalog::{CATALOG_ID, KEY_CLIENT_ID, KEY_CLIENT_SECRET, KEY_DOMAIN};
use crate::conductorone::{ConfigValues, Connector, ConnectorUpdate, NewConnector};
use crate::coupa::{CoupaDomain, Credentials};
use crate::tf::value::{known_str, opt_string};

/// `<app_id>/<connector_id>` → the two IDs, or a message showing the expected form and saying
/// what is wrong with this one.
pub fn parse_import_id(id: &str) -> Result<(String, String), String> {
    let parts: Vec<&str> = id.split('/').collect();
    let problem = match parts[..] {
        _ if id.is_empty() => "it is empty".to_owned(),
        _ if id.contains("://") => {
            "it looks like a URL; give only the two IDs it contains, the app ID first".to_owned()
        }
        [_] => "it has no `/` between the two IDs".to_owned(),
        [app, conn] => match (id_problem(app), id_problem(conn)) {
            (Some(p), _) => format!("the app ID {p}"),
            (None, Some(p)) => format!("the connector ID {p}"),
            (None, None) => return Ok((app.to_owned(), conn.to_owned())),
        },
        _ => format!("it has {} parts separated by `/`, not two", parts.len()),
    };
    Err(format!("Expected `<app_id>/<connector_id>`, for example `terraform import conductorone_coupa_integration.coupa 2abcAppId/2xyzConnectorId`; got {id:?}: {problem}. Both IDs are shown in ConductorOne's URL of the integration."))
}

/// What makes one half of an import ID unusable, if anything.
fn id_problem(part: &str) -> Option<&'static str> {
    if part.is_empty() {
        Some("is empty")
    } else if part.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("contains spaces or control characters")
    } else if part == "." || part == ".." {
        Some("is not an ID")
    } else {
        None
    }
}

/// The connector config to send: the normalised host, the client ID and the secret, from the
/// credentials parsed once ([`crate::coupa_connection::Connection::parse`]).
fn config_values(c: &Credentials) -> ConfigValues {
    let mut config = ConfigValues::new();
    config.insert(KEY_DOMAIN.into(), c.domain().host().to_owned().into());
    config.insert(KEY_CLIENT_ID.into(), c.client_id().to_owned().into());
    config.insert(KEY_CLIENT_SECRET.into(), c.secret().clone().into());
    config
}

fn owners(s: &State) -> Option<Vec<String>> {
    match &s.user_ids {
        Value::Value(set) => Some(
            set.iter()
                .filter_map(|v| v.as_ref_option().cloned())
                .collect(),
        ),
        _ => None,
    }
}

/// The create request.
pub fn new_connector(planned: &State, credentials: &Credentials) -> NewConnector {
    NewConnector {
        catalog_id: CATALOG_ID.into(),
        user_ids: owners(planned).unwrap_or_default(),
        config: config_values(credentials),
    }
}

/// Whether connector `c` is for the same Coupa client as `ours`: the same instance (both
/// domains normalised as the provider sends them, so `https://ACME.coupahost.com/` is
/// `acme.coupahost.com`) and the same client ID. The test before a create (no second connector
/// for the same Coupa client in one app).
pub fn same_coupa_client(ours: &Credentials) -> impl Fn(&Connector) -> bool + Send + Sync {
    let host = ours.domain().host();
    let client_id = ours.client_id().to_owned();
    move |c: &Connector| {
        let values = c.config.as_ref().map(|cfg| &cfg.values);
        let same_domain = values
            .and_then(|v| v.get(KEY_DOMAIN))
            .is_some_and(|theirs| match CoupaDomain::parse(theirs) {
                Ok(d) => d.host() == host,
                Err(_) => theirs.trim().eq_ignore_ascii_case(&host),
            });
        let same_client = values.and_then(|v| v.get(KEY_CLIENT_ID)) == Some(&client_id);
        same_domain && same_client
    }
}

/// Only what changed: the whole config when any part of it changed, the owners when they did.
/// `credentials` are `planned`'s, or the attribute without a usable value; `Err` names it when
/// the config must be sent.
pub fn connector_update(
    prior: &State,
    planned: &State,
    credentials: Result<&Credentials, &'static str>,
) -> Result<ConnectorUpdate, &'static str> {
    let mut update = ConnectorUpdate {
        catalog_id: CATALOG_ID.into(),
        ..Default::default()
    };
    if super::plan::config_changes(prior, planned) {
        update.config = Some(config_values(credentials?));
    }
    if super::plan::owners_change(prior, planned) {
        update.user_ids = owners(planned);
    }
    Ok(update)
}

fn owner_set(ids: &[String]) -> Value<BTreeSet<Value<String>>> {
    Value::Value(ids.iter().map(|i| Value::Value(i.clone())).collect())
}

/// After create or update: the planned state with its unknowns filled from the connector.
/// Values known at plan time are kept as planned (Terraform requires it).
pub fn applied_state(mut s: State, c: &Connector) -> State {
    s.id = Value::Value(c.id.clone());
    if s.user_ids.is_unknown() {
        s.user_ids = owner_set(&c.user_ids);
    }
    fill(&mut s.display_name, Some(c.display_name.clone()));
    fill(
        &mut s.sync_status,
        c.status.as_ref().map(|st| st.status.clone()),
    );
    fill(&mut s.created_at, c.created_at.clone());
    fill(&mut s.updated_at, c.updated_at.clone());
    s
}

fn fill(slot: &mut Value<String>, from: Option<String>) {
    if slot.is_unknown() {
        *slot = opt_string(from);
    }
}

/// After a refresh: what ConductorOne says wins, so drift shows in the next plan; what it does
/// not say (a field left out or `null`, a config without a key) keeps its prior value, as
/// ConductorOne's own provider does, rather than planning to set it again. The secret is never
/// returned; it is kept, unless the config changed since this provider last wrote it
/// (`recorded` is that timestamp; `None` when there is no record, as after an import), in which
/// case it is cleared so the plan sends it again.
pub fn refreshed_state(mut s: State, c: &Connector, recorded: Option<Option<&str>>) -> State {
    if !c.app_id.is_empty() {
        s.app_id = Value::Value(c.app_id.clone());
    }
    // Created pending its configuration (a recorded create whose state has none of the three
    // credentials): what the owners enter in ConductorOne is theirs, never read into the state.
    let delegated = recorded.is_some() && s.connection().none_set();
    let values = c
        .config
        .as_ref()
        .map(|cfg| &cfg.values)
        .filter(|_| !delegated);
    if let Some(theirs) = values.and_then(|v| v.get(KEY_DOMAIN)) {
        let same_domain = known_str(&s.coupa_domain).is_some_and(|ours| {
            match (CoupaDomain::parse(ours), CoupaDomain::parse(theirs)) {
                (Ok(a), Ok(b)) => a == b,
                _ => ours == theirs,
            }
        });
        if !same_domain {
            s.coupa_domain = Value::Value(theirs.clone());
        }
    }
    if let Some(theirs) = values.and_then(|v| v.get(KEY_CLIENT_ID)) {
        s.client_id = Value::Value(theirs.clone());
    }
    s.coupa_url = match known_str(&s.coupa_domain).map(CoupaDomain::parse) {
        Some(Ok(d)) => Value::Value(d.url().to_string()),
        _ => Value::Null,
    };
    if c.said("userIds") || s.user_ids.is_null() {
        s.user_ids = owner_set(&c.user_ids);
    }
    if c.said("displayName") || s.display_name.is_null() {
        s.display_name = Value::Value(c.display_name.clone());
    }
    if c.created_at.is_some() || s.created_at.is_null() {
        s.created_at = opt_string(c.created_at.clone());
    }
    if c.updated_at.is_some() || s.updated_at.is_null() {
        s.updated_at = opt_string(c.updated_at.clone());
    }
    if s.sync_status.is_null() {
        s.sync_status = opt_string(c.status.as_ref().map(|st| st.status.clone()));
    }
    if s.access_mode.is_null() {
        s.access_mode = Value::Value("read_only".into());
    }
    if s.validate_credentials.is_null() {
        s.validate_credentials = Value::Value(true);
    }
    // An answer without `configUpdatedAt` says nothing about a change; nor does a read that
    // shows one when the write's answer had none (the read's is then recorded as the write's).
    let changed_outside = match (recorded, c.config_updated_at.as_deref()) {
        (None, _) => true,
        (Some(_), None) | (Some(None), Some(_)) => false,
        (Some(Some(at)), Some(theirs)) => theirs != at,
    };
    if changed_outside {
        s.client_secret = Value::Null;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conductorone::EnvConfig;

    fn text(s: &str) -> Value<String> {
        Value::Value(s.into())
    }

    fn prior() -> State {
        State {
            id: text("c1"),
            app_id: text("a1"),
            coupa_domain: text("acme.coupahost.com"),
            client_id: text("cid"),
            client_secret: text("s"),
            user_ids: Value::Value([text("u1")].into()),
            display_name: text("Coupa v2"),
            created_at: text("2026-01-01T00:00:00Z"),
            updated_at: text("2026-01-02T00:00:00Z"),
            ..Default::default()
        }
    }

    /// What ConductorOne leaves out keeps its prior value; what it says and differs is drift.
    #[test]
    fn a_refresh_keeps_what_the_answer_does_not_say() {
        let bare = Connector {
            id: "c1".into(),
            omitted: Connector::OPTIONAL.into_iter().collect(),
            ..Default::default()
        };
        let kept = refreshed_state(prior(), &bare, Some(Some("t")));
        assert!(
            kept == State {
                coupa_url: text("https://acme.coupahost.com"),
                access_mode: text("read_only"),
                validate_credentials: Value::Value(true),
                ..prior()
            }
        );
        // A config without the keys keeps them too.
        let empty_config = Connector {
            config: Some(EnvConfig::default()),
            ..bare.clone()
        };
        let kept = refreshed_state(prior(), &empty_config, Some(Some("t")));
        assert_eq!(kept.coupa_domain, text("acme.coupahost.com"));
        assert_eq!(kept.client_id, text("cid"));
        // Said and different: drift.
        let said = Connector {
            config: Some(EnvConfig {
                values: [
                    (KEY_DOMAIN.to_owned(), "beta.coupahost.com".to_owned()),
                    (KEY_CLIENT_ID.to_owned(), "other".to_owned()),
                ]
                .into(),
            }),
            user_ids: vec!["u2".into()],
            config_updated_at: Some("t2".into()),
            ..Connector::default()
        };
        let drifted = refreshed_state(prior(), &said, Some(Some("t")));
        assert_eq!(drifted.coupa_domain, text("beta.coupahost.com"));
        assert_eq!(drifted.client_id, text("other"));
        assert!(drifted.user_ids == Value::Value([text("u2")].into()));
        assert!(drifted.client_secret.is_null(), "config changed outside");
    }

    /// A write answer without `configUpdatedAt` recorded none; the first read that shows one is
    /// not a change made outside (the secret stays), a later different one is.
    #[test]
    fn a_timestamp_first_seen_on_read_is_not_drift() {
        let read = Connector {
            config_updated_at: Some("t1".into()),
            ..Connector::default()
        };
        let kept = refreshed_state(prior(), &read, Some(None));
        assert_eq!(kept.client_secret, text("s"));
        let changed = refreshed_state(prior(), &read, Some(Some("t0")));
        assert!(changed.client_secret.is_null());
        // No private state at all (an import): the secret is unknown to us.
        assert!(refreshed_state(prior(), &read, None)
            .client_secret
            .is_null());
    }
}
