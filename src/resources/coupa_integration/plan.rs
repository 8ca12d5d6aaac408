//! Offline checks and plan rules of `conductorone_coupa_integration`.
//!
//! Terraform demands that every value known at plan time comes back unchanged after apply, so
//! the rules here decide exactly which computed values are known (kept from the prior state)
//! and which are left unknown because the update will change them.

use tf_provider::value::Value;
use tf_provider::Diagnostics;

use super::state::{State, ACCESS_MODES};
use crate::coupa::{CoupaDomain, Credentials, SCOPES_PROVISIONING, SCOPES_READ_ONLY};
use crate::coupa_connection::Blame;
use crate::tf::diag::{self, check_not_blank};
use crate::tf::value::known_str;

/// Offline validation of the configuration. Unknown values are skipped.
pub fn check_config(diags: &mut Diagnostics, c: &State) {
    check_not_blank(diags, "app_id", &c.app_id, "the ID of a ConductorOne app");
    if let Some(app) = known_str(&c.app_id).filter(|a| !a.trim().is_empty() && a.trim() == *a) {
        let problem = if app.contains('/') {
            Some("contains `/`, which no ConductorOne app ID does")
        } else if app.chars().any(char::is_whitespace) {
            Some("contains whitespace, which no ConductorOne app ID does")
        } else if app == "." || app == ".." {
            Some("is not an ID")
        } else {
            None
        };
        if let Some(problem) = problem {
            diag::attr_error(
                diags,
                "app_id",
                "Invalid App ID",
                format!("`{app}` {problem}. Give the app's ID (for example from `conductorone_app.x.id`), not a name, path or URL."),
            );
        }
    }
    c.connection().check(diags);
    if let Some(mode) = known_str(&c.access_mode) {
        if !ACCESS_MODES.contains(&mode) {
            let normalised = mode.trim().to_ascii_lowercase().replace(['-', ' '], "_");
            let what = if mode.trim().is_empty() {
                "`access_mode` is an empty string; remove it to get the default.".to_owned()
            } else if let Some(m) = ACCESS_MODES.iter().find(|m| **m == normalised) {
                format!("`{mode}` is not an access mode; did you mean `{m}`? Values are lowercase, with `_`.")
            } else {
                format!("`{mode}` is not an access mode.")
            };
            diag::attr_error(
                diags,
                "access_mode",
                "Invalid Access Mode",
                format!("{what} Use `read_only` (the default) to let ConductorOne read users, groups and roles, or `provisioning` to let it also change group and role memberships."),
            );
        }
    }
    if let Value::Value(ids) = &c.user_ids {
        if ids.is_empty() {
            diag::attr_error(
                diags,
                "user_ids",
                "No Owners",
                "`user_ids` is an empty set. Name at least one ConductorOne user ID, or remove the attribute to make the caller the owner.",
            );
        }
        for id in ids {
            if let Value::Value(text) = id {
                if text.is_empty() || text.chars().any(char::is_whitespace) {
                    let hint = if text.trim().is_empty() {
                        " An empty element usually comes from a variable that is not set."
                    } else {
                        ""
                    };
                    diag::attr_error(
                        diags,
                        "user_ids",
                        "Invalid Owner ID",
                        format!("`user_ids` contains {text:?}; each element must be a ConductorOne user ID, with no spaces.{hint}"),
                    );
                }
            }
        }
    }
}

/// The plan for a new integration: defaults filled in, server-chosen values unknown.
pub fn planned_create(mut s: State, config: &State) -> State {
    apply_defaults(&mut s, config);
    s.id = Value::Unknown;
    s.coupa_url = normalised_url(&s.coupa_domain);
    if s.user_ids.is_null() {
        s.user_ids = Value::Unknown;
    }
    s.display_name = Value::Unknown;
    s.sync_status = Value::Unknown;
    s.created_at = Value::Unknown;
    s.updated_at = Value::Unknown;
    s
}

/// The plan for an existing integration. `proposed` is Terraform's merge of configuration and
/// prior state (computed attributes the configuration leaves unset carry their prior value).
pub fn planned_update(prior: &State, mut s: State, config: &State) -> State {
    apply_defaults(&mut s, config);
    s.coupa_url = normalised_url(&s.coupa_domain);
    if s.user_ids.is_null() {
        s.user_ids = prior.user_ids.clone();
    }
    // An update sends neither the name nor anything that renames the connector, so
    // `display_name` stays known (as `id` and `created_at` do): plans show only what changes.
    if config_changes(prior, &s) || owners_change(prior, &s) {
        s.updated_at = Value::Unknown;
        s.sync_status = Value::Unknown;
    }
    s
}

/// The defaults of `access_mode` and `validate_credentials`, decided from the configuration, not
/// from `proposed`: for an optional+computed attribute the configuration leaves unset, Terraform
/// proposes the prior value, so removing `access_mode = "provisioning"` would keep provisioning
/// and removing `validate_credentials = false` would keep the check off for good.
fn apply_defaults(s: &mut State, config: &State) {
    if config.access_mode.is_null() {
        s.access_mode = Value::Value("read_only".into());
    }
    if config.validate_credentials.is_null() {
        s.validate_credentials = Value::Value(true);
    }
}

fn normalised_url(domain: &Value<String>) -> Value<String> {
    match domain {
        // Delegated: no domain here, none to normalise.
        Value::Null => Value::Null,
        Value::Value(d) => match CoupaDomain::parse(d) {
            Ok(d) => Value::Value(d.url().to_string()),
            Err(_) => Value::Unknown,
        },
        _ => Value::Unknown,
    }
}

/// Whether the connector must move to another app, which means a replacement. An `app_id`
/// that is unknown during plan counts as a change, as terraform-plugin-framework's
/// RequiresReplace does: planning an in-place update and learning at apply that the value did
/// change would make Terraform fail with "Provider produced inconsistent final plan".
pub fn app_changed(prior: &State, proposed: &State) -> bool {
    prior.app_id != proposed.app_id
}

/// Whether the connector's config must be sent again: never when the configuration leaves it
/// to the connector's owners (no `client_secret` planned: removing the credentials stops
/// managing them, and sends nothing).
pub fn config_changes(prior: &State, planned: &State) -> bool {
    !planned.client_secret.is_null()
        && (prior.coupa_domain != planned.coupa_domain
            || prior.client_id != planned.client_id
            || prior.client_secret != planned.client_secret)
}

/// Whether the owners must be sent.
pub fn owners_change(prior: &State, planned: &State) -> bool {
    prior.user_ids != planned.user_ids
}

/// What to ask Coupa, when it should be asked, and where to report a refusal.
pub struct CredentialCheck {
    pub credentials: Credentials,
    pub scopes: &'static [&'static str],
    pub blame: Blame,
}

/// `Some` when validation is on, every input is known, and (for an update) something that
/// changes Coupa's answer changed.
pub fn credential_check(planned: &State, prior: Option<&State>) -> Option<CredentialCheck> {
    // Unknown: it may turn out `false` because Coupa cannot be reached from here; apply decides.
    if planned.validate_credentials != Value::Value(true) && !planned.validate_credentials.is_null()
    {
        return None;
    }
    if let Some(prior) = prior {
        let turned_on = prior.validate_credentials == Value::Value(false);
        if !config_changes(prior, planned) && prior.access_mode == planned.access_mode && !turned_on
        {
            return None;
        }
    }
    let (scopes, provisioning): (&'static [&'static str], bool) =
        match known_str(&planned.access_mode) {
            Some("provisioning") => (&SCOPES_PROVISIONING, true),
            Some(_) => (&SCOPES_READ_ONLY, false),
            None if planned.access_mode.is_unknown() => return None,
            None => (&SCOPES_READ_ONLY, false),
        };
    Some(CredentialCheck {
        credentials: planned.connection().credentials()?,
        scopes,
        blame: Blame::integration(provisioning),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<String> {
        Value::Value(s.into())
    }

    fn prior() -> State {
        State {
            id: text("2conn"),
            app_id: text("2app"),
            coupa_domain: text("acme.coupahost.com"),
            client_id: text("cid"),
            client_secret: text("secret"),
            access_mode: text("provisioning"),
            validate_credentials: Value::Value(false),
            ..Default::default()
        }
    }

    #[test]
    fn removed_optional_arguments_go_back_to_their_defaults() {
        // Terraform proposes the prior value of an optional+computed attribute the
        // configuration no longer sets.
        let config = State {
            access_mode: Value::Null,
            validate_credentials: Value::Null,
            ..prior()
        };
        let planned = planned_update(&prior(), prior(), &config);
        assert_eq!(planned.access_mode, text("read_only"));
        assert_eq!(planned.validate_credentials, Value::Value(true));
        // So the credentials are checked again, with the read-only scopes.
        let check = credential_check(&planned, Some(&prior())).expect("a check is due");
        assert_eq!(check.scopes, &SCOPES_READ_ONLY);
    }

    #[test]
    fn configured_values_win_over_defaults() {
        let planned = planned_update(&prior(), prior(), &prior());
        assert_eq!(planned.access_mode, text("provisioning"));
        assert_eq!(planned.validate_credentials, Value::Value(false));
        let created = planned_create(
            State {
                access_mode: Value::Unknown,
                ..prior()
            },
            &State {
                access_mode: Value::Unknown,
                ..prior()
            },
        );
        assert!(created.access_mode.is_unknown(), "unknown stays unknown");
        assert!(created.id.is_unknown());
    }

    /// What apply may change is unknown in the plan; what it cannot change keeps its value.
    #[test]
    fn unknown_arguments_on_update() {
        let prior = State {
            coupa_url: text("https://acme.coupahost.com"),
            display_name: text("Coupa v2"),
            sync_status: text("SYNC_STATUS_DONE"),
            created_at: text("2026-01-01T00:00:00Z"),
            updated_at: text("2026-01-02T00:00:00Z"),
            user_ids: Value::Value([text("u1")].into()),
            ..prior()
        };
        // An unknown app_id may turn out to be another app: a replacement, like RequiresReplace.
        let unknown_app = State {
            app_id: Value::Unknown,
            ..prior.clone()
        };
        assert!(app_changed(&prior, &unknown_app));
        assert!(!app_changed(&prior, &prior));
        for attr in ["coupa_domain", "client_id", "client_secret", "user_ids"] {
            let mut proposed = prior.clone();
            match attr {
                "coupa_domain" => proposed.coupa_domain = Value::Unknown,
                "client_id" => proposed.client_id = Value::Unknown,
                "client_secret" => proposed.client_secret = Value::Unknown,
                _ => proposed.user_ids = Value::Unknown,
            }
            assert!(!app_changed(&prior, &proposed), "{attr}: in place");
            let planned = planned_update(&prior, proposed.clone(), &proposed);
            assert!(planned.updated_at.is_unknown(), "{attr}: updated_at");
            assert!(planned.sync_status.is_unknown(), "{attr}: sync_status");
            assert_eq!(planned.id, prior.id, "{attr}: id");
            assert_eq!(planned.created_at, prior.created_at, "{attr}: created_at");
            assert_eq!(
                planned.display_name, prior.display_name,
                "{attr}: display_name"
            );
            assert_eq!(
                planned.coupa_url.is_unknown(),
                attr == "coupa_domain",
                "{attr}: coupa_url"
            );
            assert!(
                credential_check(&planned, Some(&prior)).is_none(),
                "{attr}: nothing to check until it is known"
            );
        }
        // Plan-time settings: nothing is sent, so nothing server-side changes.
        for (mode, validate) in [
            (Value::Unknown, Value::Value(false)),
            (text("provisioning"), Value::Unknown),
        ] {
            let proposed = State {
                access_mode: mode,
                validate_credentials: validate,
                ..prior.clone()
            };
            let planned = planned_update(&prior, proposed.clone(), &proposed);
            assert_eq!(planned.updated_at, prior.updated_at);
            assert_eq!(planned.sync_status, prior.sync_status);
            assert!(credential_check(&planned, Some(&prior)).is_none());
        }
    }

    #[test]
    fn without_credentials_nothing_is_sent_and_adding_them_sends_the_config() {
        let removed = State {
            coupa_domain: Value::Null,
            client_id: Value::Null,
            client_secret: Value::Null,
            ..prior()
        };
        // Removed (domain and client ID kept as computed, or gone): no config to send.
        assert!(!config_changes(&prior(), &removed));
        let kept_ids = State {
            client_secret: Value::Null,
            ..prior()
        };
        assert!(!config_changes(&prior(), &kept_ids));
        // Added to a delegated connector: the config goes out.
        assert!(config_changes(&removed, &prior()));
        assert_eq!(normalised_url(&Value::Null), Value::Null);
        let created = planned_create(removed.clone(), &removed);
        assert!(created.coupa_url.is_null(), "delegated: no Coupa URL");
        assert!(
            credential_check(&created, None).is_none(),
            "Coupa is asked nothing"
        );
    }

    #[test]
    fn an_unknown_validate_credentials_defers_the_check_to_apply() {
        let config = State {
            validate_credentials: Value::Unknown,
            access_mode: text("read_only"),
            ..prior()
        };
        let planned = planned_create(config.clone(), &config);
        assert!(planned.validate_credentials.is_unknown());
        assert!(credential_check(&planned, None).is_none());
        let known = State {
            validate_credentials: Value::Value(true),
            ..planned
        };
        assert!(credential_check(&known, None).is_some());
    }
}
