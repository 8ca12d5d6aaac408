//! What the stand-in's Coupa tenant holds, read from its control API (`GET /_standin/tenant`):
//! expected values that come from the stand-in's data, never from the provider's code.

use std::collections::BTreeMap;

use serde_json::Value;
use standin::Standin;

/// Who holds each license in the stand-in's tenant: license flag (`purchasing-user`) → Coupa user
/// IDs as strings, ascending by number. People only (records whose `type` is not blank are not
/// people), and only active ones when `active_only`. Every license the stand-in knows is a key,
/// held by somebody or not.
pub async fn license_holders(
    standin: &Standin,
    active_only: bool,
) -> BTreeMap<String, Vec<String>> {
    let tenant = standin.coupa_get("tenant").await;
    let mut out: BTreeMap<String, Vec<u64>> = as_array(&tenant["licenses"])
        .iter()
        .map(|l| (l.as_str().expect("license name").to_owned(), Vec::new()))
        .collect();
    for user in as_array(&tenant["users"]) {
        assert!(user["type"].is_null(), "`users` lists people: {user}");
        if active_only && user["active"] != true {
            continue;
        }
        let id = user["id"].as_u64().expect("numeric user ID");
        for license in as_array(&user["licenses"]) {
            let license = license.as_str().expect("license name");
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

fn as_array(v: &Value) -> &[Value] {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array in the tenant listing, got {v}"))
}
