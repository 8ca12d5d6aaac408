//! Coupa users and the licenses they hold.
//!
//! In Coupa a license is a boolean flag on each user record (`purchasing-user`, `expense-user`,
//! …; coupa-api.md §4.4), not an object of its own: who holds which license is found by reading
//! every user. [`Tenant::users`] does that in one pass over `/api/users`, with the offset pager
//! and rate limiter of the groups listing (see [`super::paging`]), asking only for the fields
//! that matter (ID, login, active flag, `type`, the 17 flags), and [`license_use`] counts.
//!
//! `/api/users` also holds records that are not people (API users and others, whose `type` is not
//! blank). They are asked to be left out (`type[blank]=true`, as ConductorOne's connector asks)
//! and dropped if they come anyway, so a license held only by an integration is not counted.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::Tenant;
use super::error::CoupaError;
use super::model::{self, Record, Row};
use super::paging;
use super::scopes::SCOPE_USERS;

/// One of Coupa's license flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct License {
    /// The flag as Coupa's JSON spells it: `purchasing-user`.
    pub id: &'static str,
    /// A label for people: `Purchasing`.
    pub name: &'static str,
}

const fn license(id: &'static str, name: &'static str) -> License {
    License { id, name }
}

/// The 17 license flags of Coupa's R39 user schema, sorted by `id`. Coupa's element table spells
/// a few with underscores (`treasury_user`); its JSON answers, and this list, use hyphens.
pub const LICENSES: [License; 17] = [
    license("aic-user", "AI Classification"),
    license("analytics-user", "Analytics"),
    license("category-planner-user", "Category Planner"),
    license("ccw-user", "Contingent Workforce"),
    license("clm-advanced-user", "CLM Advanced"),
    license("contracts-user", "Contracts"),
    license("expense-user", "Expense"),
    license("intake-user", "Intake"),
    license("inventory-user", "Inventory"),
    license("invoicing-user", "Invoicing"),
    license("purchasing-user", "Purchasing"),
    license("risk-assess-user", "Risk Assess"),
    license("sourcing-user", "Sourcing"),
    license("spend-guard-user", "Spend Guard"),
    license("supply-chain-user", "Supply Chain"),
    license("travel-user", "Travel"),
    license("treasury-user", "Treasury"),
];

/// A Coupa user (`GET /api/users`), reduced to what licenses need.
///
/// Decoded as leniently as groups and roles (a flag may be null, a string or 0/1; a flag spelled
/// with underscores counts when the hyphenated key is absent). The ID is the one field that must
/// be there.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct User {
    pub id: u64,
    pub login: String,
    pub active: bool,
    /// Coupa's `type`: blank for a person; `ApiUser` and others for records that are not people.
    pub kind: String,
    /// Whether the user holds each license of [`LICENSES`], in that order.
    pub licenses: [bool; 17],
}

impl User {
    /// Whether the user holds `license` (an `id` of [`LICENSES`]).
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
        let mut licenses = [false; 17];
        for (held, l) in licenses.iter_mut().zip(&LICENSES) {
            let value = match row.get(l.id) {
                Some(v) => v.clone(),
                None => take(&l.id.replace('-', "_")),
            };
            *held = flag(value)?;
        }
        Ok(User {
            id,
            login: text(take("login"))?,
            active: flag(take("active"))?,
            kind: text(take("type"))?,
            licenses,
        })
    }
}

impl Row for User {
    const WHAT: &'static str = "users";
    fn id(&self) -> u64 {
        self.id
    }
}

impl Record for User {
    const PATH: &'static str = "users";
    /// `type` too, to drop records that are not people should the filter be ignored.
    const FIELDS: &'static str = r#"["id","login","active","type","aic-user","analytics-user","category-planner-user","ccw-user","clm-advanced-user","contracts-user","expense-user","intake-user","inventory-user","invoicing-user","purchasing-user","risk-assess-user","sourcing-user","spend-guard-user","supply-chain-user","travel-user","treasury-user"]"#;
    const SCOPE: &'static str = SCOPE_USERS;
    /// People only (coupa-api.md §4.4).
    const FILTERS: &'static [(&'static str, &'static str)] = &[("type[blank]", "true")];
    fn listed(&self) -> bool {
        self.kind.trim().is_empty()
    }
}

impl Tenant {
    /// Every person of the user directory (records that are not people left out), sorted by id,
    /// with their license flags. Needs only `core.user.read`. One pass, paced like
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

/// For each of the 17 licenses, in [`LICENSES`] order (by `id`), the users who hold it: all of
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
