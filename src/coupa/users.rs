//! Coupa users and the licenses they hold.
//!
//! In Coupa a license is a boolean flag on each user record (`purchasing-user`, `expense-user`,
//! …; coupa-api.md §4.4), not an object of its own: who holds which license is found by reading
//! every user. [`Tenant::users`] does that in one pass over `/api/users`, with the offset pager
//! and rate limiter of the groups listing (see [`super::paging`]), asking only for the fields
//! that matter (ID, login, active flag, `type`, the 19 flags), and [`license_use`] counts.
//!
//! The licenses are ConductorOne's: the 19 its Coupa connector syncs, under the IDs and names
//! ConductorOne shows, so a listing can be joined with what ConductorOne shows. Four of those IDs
//! are spelled with underscores (`treasury_user`); the flag on a user is always hyphenated
//! (`treasury-user`), and it is the flag that is read.
//!
//! `/api/users` also holds records that are not people (API users and others, whose `type` is not
//! blank). They are asked to be left out (`type[blank]=true`, as ConductorOne's connector asks)
//! and dropped if they come anyway, so a license held only by an integration is not counted.
//! `type` is the only test, as it is ConductorOne's (coupa-api.md §4.5): a person whose
//! `api-user` or `supplier-user` flag is set is still a person, listed and counted.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::Tenant;
use super::error::CoupaError;
use super::model::{self, Record, Row};
use super::paging;
use super::scopes::SCOPE_USERS;

/// One of the licenses ConductorOne's Coupa connector syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct License {
    /// The ID ConductorOne gives the license resource, which is what ConductorOne shows:
    /// `purchasing-user`, or for four licenses with underscores, `treasury_user`.
    pub id: &'static str,
    /// ConductorOne's name of it: `Purchasing`.
    pub name: &'static str,
    /// The flag on a user in Coupa's JSON, always hyphenated: `treasury-user`.
    pub flag: &'static str,
}

const fn license(id: &'static str, name: &'static str, flag: &'static str) -> License {
    License { id, name, flag }
}

/// How many licenses ConductorOne's Coupa connector syncs.
pub const LICENSE_COUNT: usize = 19;

/// ConductorOne's license catalogue (baton-coupa `pkg/connector/licenses.go`, coupa-api.md §4.4),
/// sorted by `id`: ConductorOne's IDs and names, and the flag each is read from.
pub const LICENSES: [License; LICENSE_COUNT] = [
    license("aic-user", "AI classification", "aic-user"),
    license("analytics-user", "Analytics", "analytics-user"),
    license(
        "category_planner_user",
        "Category Planner",
        "category-planner-user",
    ),
    license(
        "category_strategy_user",
        "Category Strategy",
        "category-strategy-user",
    ),
    license("ccw-user", "Contingent Workforce", "ccw-user"),
    license("clm-advanced-user", "CLM Advanced", "clm-advanced-user"),
    license("contracts-user", "Contracts", "contracts-user"),
    license(
        "coupa-navi-ai-agent-user",
        "Navi AI Agent",
        "coupa-navi-ai-agent-user",
    ),
    license("expense-user", "Expense", "expense-user"),
    license("intake-user", "Intake", "intake-user"),
    license("inventory-user", "Inventory", "inventory-user"),
    license("invoicing_user", "Invoicing", "invoicing-user"),
    license("purchasing-user", "Purchasing", "purchasing-user"),
    license("risk-assess-user", "Risk Assess", "risk-assess-user"),
    license("sourcing-user", "Sourcing", "sourcing-user"),
    license("spend-guard-user", "Spend Guard", "spend-guard-user"),
    license("supply-chain-user", "Supply Chain", "supply-chain-user"),
    license("travel-user", "Travel", "travel-user"),
    license("treasury_user", "Treasury", "treasury-user"),
];

/// A Coupa user (`GET /api/users`), reduced to what the listings need: who it is, its license
/// flags, and the roles and user groups it is in.
///
/// Decoded as leniently as groups and roles (a flag may be null, a string or 0/1; a flag spelled
/// with underscores counts when the hyphenated key is absent; a missing or null association is
/// empty). The ID is the one field that must be there.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct User {
    pub id: u64,
    pub login: String,
    pub email: String,
    pub fullname: String,
    pub active: bool,
    /// Coupa's `type`: blank for a person; `ApiUser` and others for records that are not people.
    /// The only test of a person, as in ConductorOne's connector (`api-user` and
    /// `supplier-user` flags do not count).
    pub kind: String,
    /// Whether the user holds each license of [`LICENSES`], in that order.
    pub licenses: [bool; LICENSE_COUNT],
    /// IDs of the user's roles, ascending.
    pub role_ids: Vec<u64>,
    /// IDs of the user groups (and projects) the user is in, ascending.
    pub group_ids: Vec<u64>,
}

impl User {
    /// Whether the user holds `license` (an `id` of [`LICENSES`], as ConductorOne shows it).
    pub fn holds(&self, license: &str) -> bool {
        LICENSES
            .iter()
            .zip(self.licenses)
            .any(|(l, held)| held && l.id == license)
    }
}

impl TryFrom<Map<String, Value>> for User {
    type Error = String;

    fn try_from(row: Map<String, Value>) -> Result<User, String> {
        let take = |key: &str| row.get(key).cloned().unwrap_or(Value::Null);
        let text = |v: Value| model::text(v).map_err(|e| e.to_string());
        let flag = |v: Value| model::flag(v).map_err(|e| e.to_string());
        let id = match row.get("id") {
            Some(v) => model::id(v.clone()).map_err(|e| e.to_string())?,
            None => return Err("missing field `id`".into()),
        };
        let mut licenses = [false; LICENSE_COUNT];
        for (held, l) in licenses.iter_mut().zip(&LICENSES) {
            let value = match row.get(l.flag) {
                Some(v) => v.clone(),
                None => take(&l.flag.replace('-', "_")),
            };
            *held = flag(value)?;
        }
        let user_groups = match row.get("user-groups") {
            Some(v) => v.clone(),
            None => take("user_groups"),
        };
        Ok(User {
            id,
            login: text(take("login"))?,
            email: text(take("email"))?,
            fullname: text(take("fullname"))?,
            active: flag(take("active"))?,
            kind: text(take("type"))?,
            licenses,
            role_ids: ids_of(take("roles"))?,
            group_ids: ids_of(user_groups)?,
        })
    }
}

/// The ids of an embedded association (`[{"id": 2, …}, …]`), ascending, each once; null is
/// none.
fn ids_of(v: Value) -> Result<Vec<u64>, String> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err("an association is not a list".into()),
    };
    let mut ids = items
        .into_iter()
        .map(|item| match item.get("id") {
            Some(id) => model::id(id.clone()).map_err(|e| e.to_string()),
            None => Err("an associated record has no `id`".into()),
        })
        .collect::<Result<Vec<u64>, String>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

impl Row for User {
    const WHAT: &'static str = "users";
    fn id(&self) -> u64 {
        self.id
    }
}

impl Record for User {
    const PATH: &'static str = "users";
    /// `type` too, to drop records that are not people should the filter be ignored; the roles
    /// and groups as ids only.
    const FIELDS: &'static str = r#"["id","login","active","type","aic-user","analytics-user","category-planner-user","category-strategy-user","ccw-user","clm-advanced-user","contracts-user","coupa-navi-ai-agent-user","expense-user","intake-user","inventory-user","invoicing-user","purchasing-user","risk-assess-user","sourcing-user","spend-guard-user","supply-chain-user","travel-user","treasury-user","email","fullname",{"roles":["id"]},{"user-groups":["id"]}]"#;
    const SCOPE: &'static str = SCOPE_USERS;
    /// People only (coupa-api.md §4.4).
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type[blank]", "true")];
    fn listed(&self) -> bool {
        self.kind.trim().is_empty()
    }
}

/// Who is in each user group and holds each role, from one pass over the users: group or role
/// id → people's IDs, ascending. Every person counts, active or not (as ConductorOne's grants
/// do); records that are not people never do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memberships {
    pub groups: BTreeMap<u64, Vec<u64>>,
    pub roles: BTreeMap<u64, Vec<u64>>,
}

impl Memberships {
    pub fn of(users: &[User]) -> Memberships {
        let mut m = Memberships::default();
        let mut people: Vec<&User> = users.iter().filter(|u| u.listed()).collect();
        people.sort_by_key(|u| u.id);
        people.dedup_by_key(|u| u.id);
        for u in people {
            for g in &u.group_ids {
                m.groups.entry(*g).or_default().push(u.id);
            }
            for r in &u.role_ids {
                m.roles.entry(*r).or_default().push(u.id);
            }
        }
        m
    }

    /// The members of group `id`, ascending (none when nobody is in it).
    pub fn of_group(&self, id: u64) -> &[u64] {
        self.groups.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The holders of role `id`, ascending.
    pub fn of_role(&self, id: u64) -> &[u64] {
        self.roles.get(&id).map_or(&[], Vec::as_slice)
    }
}

impl Tenant {
    /// Every person of the user directory (records that are not people left out), sorted by id,
    /// with their license flags, roles and groups. Needs only `core.user.read`. One pass, paced like
    /// [`Tenant::user_groups`].
    pub async fn users(&self) -> Result<Vec<User>, CoupaError> {
        paging::list_offset(self).await
    }
}

/// Who holds one license.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseUse {
    pub license: License,
    /// Coupa user IDs, ascending.
    pub holders: Vec<u64>,
}

/// For each of the 19 licenses, in [`LICENSES`] order (by `id`), the users who hold it: all of
/// `users`, or only the active ones. A license nobody holds is there with no holder.
pub fn license_use(users: &[User], active_only: bool) -> Vec<LicenseUse> {
    let counted: Vec<&User> = users
        .iter()
        .filter(|u| u.listed() && (u.active || !active_only))
        .collect();
    LICENSES
        .iter()
        .enumerate()
        .map(|(i, license)| {
            let mut holders: Vec<u64> = counted
                .iter()
                .filter(|u| u.licenses.get(i).copied().unwrap_or(false))
                .map(|u| u.id)
                .collect();
            holders.sort_unstable();
            holders.dedup();
            LicenseUse {
                license: *license,
                holders,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
