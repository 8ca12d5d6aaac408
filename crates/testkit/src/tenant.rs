//! What the stand-in's Coupa tenant holds, read from its control API (`GET /_standin/tenant`):
//! expected values that come from the stand-in's data, never from the provider's code.

use std::collections::BTreeMap;

use serde_json::Value;
use standin::Standin;

/// ConductorOne's Coupa license catalogue, as coupa-api.md §4.4 gives it: the ID ConductorOne
/// shows, its name, and the hyphenated flag on a Coupa user that says who holds it. Written from
/// the reference, not taken from the provider's code.
pub const CONDUCTORONE_LICENSES: [(&str, &str, &str); 19] = [
    ("aic-user", "AI classification", "aic-user"),
    ("analytics-user", "Analytics", "analytics-user"),
    (
        "category_planner_user",
        "Category Planner",
        "category-planner-user",
    ),
    (
        "category_strategy_user",
        "Category Strategy",
        "category-strategy-user",
    ),
    ("clm-advanced-user", "CLM Advanced", "clm-advanced-user"),
    ("ccw-user", "Contingent Workforce", "ccw-user"),
    ("contracts-user", "Contracts", "contracts-user"),
    ("expense-user", "Expense", "expense-user"),
    ("intake-user", "Intake", "intake-user"),
    ("inventory-user", "Inventory", "inventory-user"),
    ("invoicing_user", "Invoicing", "invoicing-user"),
    (
        "coupa-navi-ai-agent-user",
        "Navi AI Agent",
        "coupa-navi-ai-agent-user",
    ),
    ("purchasing-user", "Purchasing", "purchasing-user"),
    ("risk-assess-user", "Risk Assess", "risk-assess-user"),
    ("sourcing-user", "Sourcing", "sourcing-user"),
    ("spend-guard-user", "Spend Guard", "spend-guard-user"),
    ("supply-chain-user", "Supply Chain", "supply-chain-user"),
    ("travel-user", "Travel", "travel-user"),
    ("treasury_user", "Treasury", "treasury-user"),
];

/// The ID ConductorOne shows for the license a Coupa user flag stands for.
pub fn conductorone_license_id(flag: &str) -> &'static str {
    CONDUCTORONE_LICENSES
        .iter()
        .find(|(_, _, f)| *f == flag)
        .map(|(id, _, _)| *id)
        .unwrap_or_else(|| panic!("the flag {flag} is not in ConductorOne's catalogue"))
}

/// Who holds each license in the stand-in's tenant: the ID ConductorOne shows (`treasury_user`)
/// → Coupa user IDs as strings, ascending by number, read from the stand-in's users' flags
/// (`treasury-user`). People only (records whose `type` is not blank are not people), and only
/// active ones when `active_only`. Every license of ConductorOne's catalogue is a key, held by
/// somebody or not; the stand-in's flags must be exactly the catalogue's.
pub async fn license_holders(
    standin: &Standin,
    active_only: bool,
) -> BTreeMap<String, Vec<String>> {
    let tenant = standin.coupa_get("tenant").await;
    let mut flags: Vec<&str> = as_array(&tenant["licenses"])
        .iter()
        .map(|l| l.as_str().expect("license flag"))
        .collect();
    flags.sort_unstable();
    let mut catalogue: Vec<&str> = CONDUCTORONE_LICENSES.iter().map(|l| l.2).collect();
    catalogue.sort_unstable();
    assert_eq!(
        flags, catalogue,
        "the stand-in's flags are ConductorOne's catalogue"
    );
    let mut out: BTreeMap<String, Vec<u64>> = CONDUCTORONE_LICENSES
        .iter()
        .map(|(id, _, _)| (id.to_string(), Vec::new()))
        .collect();
    for user in persons(&tenant) {
        if active_only && user["active"] != true {
            continue;
        }
        let id = user["id"].as_u64().expect("numeric user ID");
        for flag in as_array(&user["licenses"]) {
            let license = conductorone_license_id(flag.as_str().expect("license flag"));
            out.get_mut(license).expect("a known license").push(id);
        }
    }
    out.into_iter()
        .map(|(license, mut ids)| {
            ids.sort_unstable();
            (license, ids.iter().map(u64::to_string).collect())
        })
        .collect()
}

/// The records of `/api/users` that are not people, as the stand-in lists them.
pub async fn non_people(standin: &Standin) -> Vec<Value> {
    as_array(&standin.coupa_get("tenant").await["non_people"]).to_vec()
}

/// The people among every user record of the stand-in (`users` and `non_people` alike): the
/// records whose `type` is blank, which is the one test ConductorOne's connector applies
/// (coupa-api.md §3.1, §4.5); `api-user` and `supplier-user` flags do not count.
fn persons(tenant: &Value) -> impl Iterator<Item = &Value> {
    as_array(&tenant["users"])
        .iter()
        .chain(as_array(&tenant["non_people"]))
        .filter(|u| u["type"].as_str().is_none_or(|t| t.trim().is_empty()))
}

fn as_array(v: &Value) -> &[Value] {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array in the tenant listing, got {v}"))
}

/// One person of the stand-in's tenant as `conductorone_coupa_users` must list them: `id`,
/// `login`, `email`, `fullname`, `active`, `role_ids`, `group_ids` (numeric order, as strings)
/// and `license_ids` (ConductorOne's IDs, sorted), as a JSON object like Terraform's output.
pub async fn people(standin: &Standin, active_only: bool) -> Vec<Value> {
    let tenant = standin.coupa_get("tenant").await;
    let strings = |v: &Value| -> Vec<String> {
        let mut ids: Vec<u64> = as_array(v)
            .iter()
            .map(|i| i.as_u64().expect("an id"))
            .collect();
        ids.sort_unstable();
        ids.iter().map(u64::to_string).collect()
    };
    let mut out: Vec<(u64, Value)> = persons(&tenant)
        .filter(|u| !active_only || u["active"] == true)
        .map(|u| {
            let mut licenses: Vec<&str> = as_array(&u["licenses"])
                .iter()
                .map(|f| conductorone_license_id(f.as_str().expect("license flag")))
                .collect();
            licenses.sort_unstable();
            let id = u["id"].as_u64().expect("numeric user ID");
            let row = serde_json::json!({
                "id": id.to_string(), "login": u["login"], "email": u["email"],
                "fullname": u["fullname"], "active": u["active"],
                "role_ids": strings(&u["role_ids"]), "group_ids": strings(&u["group_ids"]),
                "license_ids": licenses,
            });
            (id, row)
        })
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, row)| row).collect()
}

/// Members of each user group and project, from the groups' own `users` in the stand-in's data:
/// group id → people's IDs as strings, in numeric order. A group's `users` may name records that
/// are not people; a person is a record whose `type` is blank (coupa-api.md §4.5), whatever its
/// other flags, so that is the only test.
pub async fn group_members(standin: &Standin) -> BTreeMap<u64, Vec<String>> {
    let tenant = standin.coupa_get("tenant").await;
    let people: std::collections::BTreeSet<u64> = persons(&tenant)
        .map(|u| u["id"].as_u64().expect("numeric user ID"))
        .collect();
    as_array(&tenant["groups"])
        .iter()
        .chain(as_array(&tenant["projects"]))
        .map(|g| {
            let mut ids: Vec<u64> = as_array(&g["users"])
                .iter()
                .map(|i| i.as_u64().expect("an id"))
                .filter(|i| people.contains(i))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            (
                g["id"].as_u64().expect("a group id"),
                ids.iter().map(u64::to_string).collect(),
            )
        })
        .collect()
}

/// Holders of each role among the stand-in's people (active or not; records that are not people
/// never): role id → people's IDs as strings, in numeric order. Every role is a key.
pub async fn role_holders(standin: &Standin) -> BTreeMap<u64, Vec<String>> {
    let tenant = standin.coupa_get("tenant").await;
    let mut out: BTreeMap<u64, Vec<u64>> = as_array(&tenant["roles"])
        .iter()
        .map(|r| (r["id"].as_u64().expect("a role id"), Vec::new()))
        .collect();
    for u in persons(&tenant) {
        for r in as_array(&u["role_ids"]) {
            let id = u["id"].as_u64().expect("numeric user ID");
            out.get_mut(&r.as_u64().expect("a role id"))
                .expect("a known role")
                .push(id);
        }
    }
    out.into_iter()
        .map(|(r, mut ids)| {
            ids.sort_unstable();
            (r, ids.iter().map(u64::to_string).collect())
        })
        .collect()
}
