//! The state of `conductorone_coupa_integration` beside its schema: what Terraform stores, what
//! it keeps privately for us, (ConductorOne's wire names of the connector are in `crate::conductorone::catalog`). The lifecycle
//! (`super`) and its helpers (`plan`, `convert`, `wait`) all read these; none is read back.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::Value;

use crate::coupa_connection::{self, Connection};
use crate::tf::schema as s;

/// The resource as Terraform stores it. Keep identical to [`schema`]; no `Debug`: it holds the
/// client secret.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
pub struct State {
    pub id: Value<String>,
    pub app_id: Value<String>,
    pub coupa_domain: Value<String>,
    pub client_id: Value<String>,
    pub client_secret: Value<String>,
    pub access_mode: Value<String>,
    pub user_ids: Value<BTreeSet<Value<String>>>,
    pub validate_credentials: Value<bool>,
    pub coupa_url: Value<String>,
    pub display_name: Value<String>,
    pub sync_status: Value<String>,
    pub created_at: Value<String>,
    pub updated_at: Value<String>,
    /// New in 0.2 (with `timeouts`): absent from older states, so `Null` when missing.
    #[serde(default)]
    pub wait_for_sync: Value<bool>,
    #[serde(default, with = "crate::tf::value::optional_block")]
    pub timeouts: Value<Timeouts>,
}

impl State {
    /// The Coupa connection of this configuration, plan or state.
    pub fn connection(&self) -> Connection<'_> {
        Connection::new(&self.coupa_domain, &self.client_id, &self.client_secret)
    }
}

/// What Terraform keeps for us beside the state, invisible to users.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
pub struct Private {
    /// The connector's `configUpdatedAt` when this provider last wrote its config. A different
    /// value at refresh means the config (and maybe the secret, which is never read back) was
    /// changed outside Terraform.
    pub config_updated_at: Value<String>,
    /// Set by a plan that already checked these exact credentials against Coupa, so that apply
    /// does not ask Coupa a second time.
    pub validated: Value<bool>,
    /// Set when the last wait for ConductorOne's sync failed (error, disabled, timeout), so the
    /// next plan with `wait_for_sync = true` asks for a sync again. Absent from older states.
    #[serde(default)]
    pub sync_failed: Value<bool>,
}

pub const ACCESS_MODES: [&str; 2] = ["read_only", "provisioning"];

pub fn schema() -> Schema {
    use AttributeType::{Bool, String as Str};
    let mut attributes = vec![
            ("id", s::computed(Str, "Connector ID in ConductorOne. Stable across updates. The import ID is `<app_id>/<id>`.")),
            ("app_id", s::required(Str, "ID of the ConductorOne app the connector belongs to. Changing it **replaces** the integration (a connector cannot move between apps).")),
            ("access_mode", s::optional_computed(Str, "Scope set the Coupa client must have, the one ConductorOne's Coupa connector asks for, checked against Coupa: `read_only` needs the 7 scopes `core.business_entity.read core.common.read core.user_group.read core.user.read login openid profile`; `provisioning` needs those and `core.user_group.write core.user.write` (9). A client granted more (such as `email` and `offline_access`, from the older setup guide) passes. A missing scope is reported on `client_id`, naming it: add it to the client in Coupa (Setup > Integrations > OAuth2/OpenID Connect Clients). Allowed values: `read_only`, `provisioning`. Default: `read_only`. Used only for that check: changing it sends nothing to ConductorOne.")),
            ("user_ids", s::optional_computed(AttributeType::Set(Box::new(Str)), "ConductorOne user IDs of the integration's owners; at least one when set. Default: the caller, as ConductorOne chooses, read back into this attribute; removing the attribute later keeps the current owners. Owners changed outside Terraform show as drift. Changing it updates the integration in place, through ConductorOne's delegated update (the configuration, when it changes too, goes first). A value ConductorOne leaves out of an answer keeps its prior value.")),
            ("validate_credentials", s::optional_computed(Bool, "Check the credentials against Coupa during plan and apply. Set to `false` only when Coupa cannot be reached from where Terraform runs; ConductorOne's first sync will then be the first check. Default: `true`. Changing it sends nothing to ConductorOne.")),
            ("coupa_url", s::computed(Str, "Normalised address of the Coupa instance, `https://<tenant>.<coupahost|coupacloud>.com`.")),
            ("display_name", s::computed(Str, "Connector name chosen by ConductorOne.")),
            ("sync_status", s::computed(Str, "Sync status reported by ConductorOne when the integration was last created, updated or imported (for example `SYNC_STATUS_DONE`); with `wait_for_sync = true`, the status the wait ended on. Informational: it is not refreshed, so it never shows up as drift.")),
            ("created_at", s::computed(Str, "Creation time (RFC 3339).")),
            ("updated_at", s::computed(Str, "Time of the last change (RFC 3339).")),
            ("wait_for_sync", s::optional(Bool, "Wait, after a create and after an update that changes the Coupa domain, client ID or secret, until ConductorOne has synced the connector with that configuration. A sync counts when it started at or after ConductorOne stored the configuration (its `configUpdatedAt`; a sync shown without a start time counts when it ended at or after it), whether the write itself or the provider's `force_sync` started it; an older sync's result never counts, and when `force_sync` is refused or merged while an older sync runs, the provider follows that sync and asks again once it has ended. Reads of the connector come every 1 s at first, backing off to every 15 s. `SYNC_STATUS_DONE` is recorded in `sync_status`; a sync that ends in `SYNC_STATUS_ERROR` fails the apply quoting ConductorOne's message (secrets masked), as does `SYNC_STATUS_DISABLED` with its reason, running out of time (see the `timeouts` block, default 20 minutes), and a stop request (Ctrl-C, a cancelled job), which ends the wait within moments. After a failed wait on **create**, the connector is in the state but tainted: the next apply replaces it (deletes it and creates a new one) unless you run `terraform untaint <address>` first, after which the next apply keeps it and asks for a sync again. After a failed wait on **update**, the connector and its new configuration stay in the state, untainted, and the next apply with `wait_for_sync = true` asks for a sync again. Default: `false` (no sync is asked for and no extra request is made). Refused without `coupa_domain`, `client_id` and `client_secret` (a connector pending its configuration does not sync until its owners configure it). Changing it sends nothing to ConductorOne: turning it on waits from the next change of the configuration. An unknown value at plan time is planned as if it may be `true`.")),
    ];
    attributes.extend(coupa_connection::resource_attributes());
    let mut schema = s::schema(
        "Registers a Coupa connector in ConductorOne, in one of two modes.\n\n**Managed** (`coupa_domain`, `client_id` and `client_secret` set): Terraform writes the connector's configuration. Before anything is written, the Coupa domain, client ID and secret are checked against Coupa's OAuth2 token endpoint with the scopes of `access_mode`, so a bad credential fails `terraform plan`, not a sync days later. Use it when whoever runs Terraform may hold the Coupa secret.\n\n**Delegated** (none of the three set): the connector is created *pending its configuration* (ConductorOne's CreateDelegated), with its owners (`user_ids`), and Coupa is asked nothing. ConductorOne emails the owners that their help is needed; an owner with Coupa admin access enters the domain, client ID and secret in ConductorOne (Admin > Connectors > Coupa > Settings > Edit), which starts the first sync. Terraform never plans, sends or fights that configuration: the three attributes stay null in the state, and what the owner enters is not drift. The Coupa secret then never passes through Terraform's variables, plan or state: use it when the people who run Terraform should not hold it. Follow the connector with the `conductorone_coupa_integration` data source (`configured`, `sync_status`, `last_error`), in a `check` block on Terraform 1.5 and later. `wait_for_sync = true` is refused without credentials (there is no sync to wait for), and the check for an existing connector of the same Coupa client, below, does not apply (there is no client to compare).\n\nSetting some but not all three is an error on each missing one. Adding all three to a delegated integration later is an in-place update, checked against Coupa at plan, that writes the configuration (mask `config`; `wait_for_sync` honoured); from then on it is managed. Removing all three from a managed integration's configuration stops managing them: nothing is sent, the configuration stays in ConductorOne as it is, the secret leaves the state, and `coupa_domain` and `client_id` keep their last values. Importing a connector into a configuration without credentials plans no change.\n\n~> The client secret is stored in plain text in the Terraform state and in saved plan files, like every resource argument: `sensitive` only hides it in CLI output. Keep state in a remote backend that encrypts it at rest and restricts who can read it, and never commit state or plan files.\n\n**One connector per Coupa client and app** (managed mode). Before creating, the provider lists the app's connectors; when a live Coupa connector with the same domain and client ID exists (left by a run killed before Terraform could record it, or managed by another configuration), nothing is created and the error names it, with the `terraform import` command and the `import` block that bring it under this configuration. A replacement in the same app with `create_before_destroy = true` (after `terraform apply -replace`, or of a tainted integration) therefore fails: the old connector still exists when its successor would be created, and both would sync the same Coupa tenant. Keep Terraform's default order, which deletes the old connector first, or run `terraform untaint` to keep a tainted one. Note that Terraform also applies `create_before_destroy` to this resource, without it being set here, when a resource that depends on it sets it. A change of `app_id` is not affected: the replacement goes to another app. An update that changes the domain or client ID to those of another live connector in the app is refused the same way, naming it, and nothing is sent. When the listing before a create stops with connectors left unseen (more than 5,000, or a server that ignores paging), nothing is created. A create is sent again only on proof that ConductorOne did not make it (no connection made, a 429, another 4xx); after any other failure (a 5xx, a reset, a timeout, a cut answer) the provider looks for the connector it may have made for several seconds and adopts it when found, and otherwise fails naming what to check, without sending it again. Two workspaces (two state files) that apply the same configuration at the same moment are not kept apart: each check may find nothing and each makes a connector; the next refresh of each then warns that the app has a twin, naming both, so that one can be deleted, but only when the app's connector listing succeeds and shows the other connector's configuration: the listing may leave the configuration out, and no connector is read for it, so the warning is a hint, not a guarantee.\n\n**Interrupts.** The provider hears a stop both ways Terraform gives one: SIGINT or SIGTERM reaching the provider process (Ctrl-C in a terminal, or a CI runner that signals Terraform's whole process group), and Terraform's request to stop through the plugin protocol, which is all the provider gets when only Terraform's own process is signalled (`docker stop`, a Kubernetes pod's termination: PID 1 only). Then no new request starts; a create, update or delete that already reached ConductorOne is finished and recorded in the state; a `wait_for_sync` wait ends within moments, dropping the read or sync request it had in flight (harmless: a read, or a request for a sync). A create whose wait the interrupt ends is recorded tainted: `terraform untaint` keeps it. A request under way is never cut short: it runs to its answer or its attempt timeout (`CONDUCTORONE_HTTP_TIMEOUT`, default 30 s). An update whose new configuration was written still sends its owners change, with the connector's current name; should that call fail, the state records the new configuration and the previous owners, and the next apply sends only the owners. Terraform before 1.1 runs under a wrapper process that ignores a SIGINT sent to it alone (it expects a terminal to signal the whole group): send SIGTERM there.",
        attributes,
    );
    schema
        .block
        .blocks
        .insert("timeouts".to_owned(), timeouts_block());
    schema
}

/// The `timeouts` block. Keep identical to [`timeouts_block`].
#[derive(Serialize, Deserialize, Default, Clone, PartialEq, Debug)]
pub struct Timeouts {
    #[serde(default)]
    pub create: Value<String>,
    #[serde(default)]
    pub update: Value<String>,
}

/// The schema of the `timeouts` block.
pub fn timeouts_block() -> tf_provider::schema::NestedBlock {
    use crate::tf::schema as s;
    use tf_provider::schema::{AttributeType, Block, Description, NestedBlock};
    let attr = |op: &str| {
        s::optional(AttributeType::String, &format!("How long the {op} may wait for ConductorOne's sync when `wait_for_sync = true`, as a duration such as `30m`, `1h` or `90s`. Default: `20m`. When it runs out, the {op} fails naming the last sync status seen, and the connector stays in the state (after a create, tainted: see `wait_for_sync`). Changing it sends nothing to ConductorOne."))
    };
    NestedBlock::Optional(Block {
        version: 1,
        attributes: [("create", attr("create")), ("update", attr("update"))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        blocks: Default::default(),
        description: Description::markdown("How long an apply may wait for ConductorOne's sync (see `wait_for_sync`). Default: `20m` for each. Changing it sends nothing to ConductorOne."),
        deprecated: false,
    })
}

#[cfg(test)]
#[test]
fn the_state_and_its_timeouts_mirror_the_schema() {
    crate::test_support::assert_mirrors::<State>(&schema());
    crate::test_support::assert_block_mirrors::<Timeouts>(&schema(), "timeouts");
}
