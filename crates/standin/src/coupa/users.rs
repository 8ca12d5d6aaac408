//! The Coupa user directory (reference §4.4): what `/api/users` serves. People carry the 19
//! license flags ConductorOne's connector reads (hyphenated booleans such as `purchasing-user`); some people are inactive; and the
//! collection also holds records that are not people (`type` not blank: API users and the like),
//! which a client must ask to leave out (`type[blank]=true`) or drop itself.
//!
//! Deterministic like the rest of the seed ([`crate::coupa::seed`]): the first 41 people are the
//! users that groups mention, unchanged, and every person draws the same number of values from
//! each stream, so a smaller directory is a prefix of a larger one. Three licenses are held by no
//! person, as in a tenant that does not buy them; one of those is held by API users only, so a
//! client that forgets to leave them out counts it.

use crate::coupa::doc::Doc;
use crate::coupa::query::{Record, Val};
#[cfg(test)]
use crate::coupa::seed::DEFAULT_USERS;
use crate::coupa::seed::{Rng, Tenant, User, DAY, EPOCH, FIRST, LAST, USER_POOL};
use crate::util::coupa_datetime;

/// The license flags as Coupa's JSON spells them: the 17 of the R39 user schema in the order of
/// the reference (§4.4), then the two more of ConductorOne's catalogue.
pub const LICENSES: [&str; 19] = [
    "purchasing-user",
    "expense-user",
    "sourcing-user",
    "inventory-user",
    "contracts-user",
    "analytics-user",
    "spend-guard-user",
    "ccw-user",
    "clm-advanced-user",
    "supply-chain-user",
    "risk-assess-user",
    "travel-user",
    "treasury-user",
    "invoicing-user",
    "aic-user",
    "category-planner-user",
    "intake-user",
    "category-strategy-user",
    "coupa-navi-ai-agent-user",
];

/// Per mille of people holding each license of [`LICENSES`]: zero for `risk-assess-user`,
/// `treasury-user` and `category-planner-user`.
const SHARE: [u64; 17] = [
    720, 580, 140, 70, 110, 90, 40, 30, 20, 50, 0, 60, 0, 220, 15, 0, 80,
];

/// Per mille of people holding the last two licenses of [`LICENSES`], drawn from a stream of
/// their own so that the other flags of every person stay what they were before these two came.
const LATER_SHARE: [u64; 2] = [30, 45];

/// Bits of the licenses that records which are not people hold: purchasing, expense and
/// treasury (held by no person).
const NON_PERSON_LICENSES: u32 = 1 | 1 << 1 | 1 << 12;

/// Whether `flag` (hyphens, as in JSON) names `attr` (underscores, as the query engine writes
/// attribute names), without allocating: the engine asks once per record and filter.
fn same_name(flag: &str, attr: &str) -> bool {
    flag.len() == attr.len()
        && flag
            .bytes()
            .zip(attr.bytes())
            .all(|(f, a)| f == a || (f == b'-' && a == b'_'))
}

/// The index in [`LICENSES`] of a flag written with `-` or `_`.
pub fn license_index(name: &str) -> Option<usize> {
    LICENSES.iter().position(|l| same_name(l, name))
}

/// The licenses of a bit set, in [`LICENSES`] order.
pub fn license_names(bits: u32) -> Vec<&'static str> {
    LICENSES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, l)| *l)
        .collect()
}

/// Active or not, and the license bits: 18 draws from `rng`, whatever the outcome.
fn draw_person(rng: &mut Rng) -> (bool, u32) {
    let active = rng.below(8) != 0; // one in eight is inactive
    let mut bits = 0;
    for (i, share) in SHARE.iter().enumerate() {
        if rng.below(1000) < *share {
            bits |= 1 << i;
        }
    }
    (active, bits)
}

/// The bits of the last two licenses: 2 draws from `rng`, whatever the outcome.
fn draw_later(rng: &mut Rng) -> u32 {
    let mut bits = 0;
    for (i, share) in LATER_SHARE.iter().enumerate() {
        if rng.below(1000) < *share {
            bits |= 1 << (SHARE.len() + i);
        }
    }
    bits
}

/// `n` people (at least one): Coupa Support (id 1), then people with ids from 101 up, with gaps.
pub fn people(n: usize) -> Vec<User> {
    // The stream that made the users of the first seeds, so that they do not change.
    let mut rng = Rng::new(0xC0FA_0001);
    let mut flags = Rng::new(0xC0FA_0004);
    let mut later = Rng::new(0xC0FA_0005);
    let (_, support_bits) = draw_person(&mut flags);
    let support_bits = support_bits | draw_later(&mut later);
    let mut out = Vec::with_capacity(n.max(1));
    out.push(User {
        id: 1,
        login: "coupasupport".into(),
        firstname: "Coupa".into(),
        lastname: "Support".into(),
        email: "coupasupport@example.com".into(),
        employee_number: None,
        created_at: EPOCH,
        updated_at: EPOCH,
        active: true,
        kind: None,
        api_user: false,
        supplier_user: false,
        licenses: support_bits,
        roles: Vec::new(),
        user_groups: Vec::new(),
    });
    let mut id = 100;
    for i in 0..n.saturating_sub(1) {
        id += 1 + rng.below(9) as i64;
        let (f, l) = (FIRST[i % 12], LAST[(i / 12 + i) % 10]);
        // Hired over five years, so that large directories keep dates in the past.
        let day = (i as i64 * 9) % (5 * 365);
        let created = EPOCH + day * DAY + rng.below(DAY as u64) as i64;
        let employee_number = (rng.below(3) > 0).then(|| format!("E{:05}", 1000 + i));
        let updated_at = created + rng.below(300) as i64 * DAY;
        let (active, licenses) = draw_person(&mut flags);
        let licenses = licenses | draw_later(&mut later);
        out.push(User {
            id,
            login: format!("{}{}{}", &f[..1].to_lowercase(), l.to_lowercase(), i),
            firstname: f.into(),
            lastname: l.into(),
            email: format!("{}.{}{}@example.com", f.to_lowercase(), l.to_lowercase(), i),
            employee_number,
            created_at: created,
            updated_at,
            active,
            kind: None,
            // People (blank `type`) with Coupa's `api-user` or `supplier-user` flag set: still
            // people, as ConductorOne's connector counts them (reference §3.1, §4.5). Drawn
            // from the index, so no stream moves; several are in the groups' pool.
            api_user: i == 6,
            supplier_user: i % 9 == 4,
            licenses,
            roles: Vec::new(),
            user_groups: Vec::new(),
        });
    }
    out
}

/// Records that are not people, one in every twelfth gap between the ids of two consecutive
/// people, so they sit among the people by id as in a real tenant. Their `type` values are our
/// guess (the reference names API users and "others").
pub fn non_people(people: &[User]) -> Vec<User> {
    people
        .windows(2)
        .filter(|w| w[1].id - w[0].id >= 2)
        .enumerate()
        .filter(|(gap, _)| gap % 12 == 3)
        .map(|(n, w)| {
            let k = n / 12 + 1;
            let (kind, login) = if n % 36 == 27 {
                ("SystemUser", format!("system-{k}"))
            } else {
                ("ApiUser", format!("api-integration-{k}"))
            };
            User {
                id: w[0].id + 1,
                login: login.clone(),
                firstname: "Integration".into(),
                lastname: login.clone(),
                email: format!("{login}@example.com"),
                employee_number: None,
                active: n % 3 != 2,
                kind: Some(kind.into()),
                api_user: kind == "ApiUser",
                supplier_user: false,
                licenses: NON_PERSON_LICENSES,
                ..w[0].clone()
            }
        })
        .collect()
}

impl Record for User {
    const ATTRS: &'static [&'static str] = &[
        "id",
        "login",
        "email",
        "firstname",
        "lastname",
        "fullname",
        "active",
        "status",
        "type",
        "api_user",
        "supplier_user",
        "employee_number",
        "created_at",
        "updated_at",
        "purchasing_user",
        "expense_user",
        "sourcing_user",
        "inventory_user",
        "contracts_user",
        "analytics_user",
        "spend_guard_user",
        "ccw_user",
        "clm_advanced_user",
        "supply_chain_user",
        "risk_assess_user",
        "travel_user",
        "treasury_user",
        "invoicing_user",
        "aic_user",
        "category_planner_user",
        "intake_user",
        "category_strategy_user",
        "coupa_navi_ai_agent_user",
    ];

    fn id(&self) -> i64 {
        self.id
    }

    fn attr(&self, name: &str) -> Option<Val> {
        if let Some(i) = license_index(name) {
            return Some(Val::Bool(self.licenses & (1 << i) != 0));
        }
        let text = |s: &str| Val::Str(Some(s.to_owned()));
        Some(match name {
            "id" => Val::Int(self.id),
            "login" => text(&self.login),
            "email" => text(&self.email),
            "firstname" => text(&self.firstname),
            "lastname" => text(&self.lastname),
            "fullname" => Val::Str(Some(format!("{} {}", self.firstname, self.lastname))),
            "active" => Val::Bool(self.active),
            // Coupa's Users API documents `status=active`.
            "status" => text(if self.active { "active" } else { "inactive" }),
            "type" => Val::Str(self.kind.clone()),
            "api_user" => Val::Bool(self.api_user),
            "supplier_user" => Val::Bool(self.supplier_user),
            "employee_number" => Val::Str(self.employee_number.clone()),
            "created_at" => Val::Time(self.created_at),
            "updated_at" => Val::Time(self.updated_at),
            _ => return None,
        })
    }

    /// The user as `/api/users` shows it, its `roles` and `user-groups` embedded (only their
    /// ids when `shallow`), as Coupa embeds associations.
    fn doc(&self, tenant: &Tenant, shallow: bool) -> Doc {
        let roles = self
            .roles
            .iter()
            .filter_map(|&i| tenant.roles.get(i))
            .map(|r| {
                if shallow {
                    Doc::obj(vec![("id", Doc::Int(r.id))])
                } else {
                    r.doc(tenant, true)
                }
            })
            .collect();
        let groups = self
            .user_groups
            .iter()
            .filter_map(|&i| tenant.user_groups.get(i))
            .map(|g| {
                if shallow {
                    Doc::obj(vec![("id", Doc::Int(g.id))])
                } else {
                    g.doc(tenant, true)
                }
            })
            .collect();
        let mut fields = vec![
            ("id", Doc::Int(self.id)),
            ("created-at", Doc::Time(coupa_datetime(self.created_at))),
            ("updated-at", Doc::Time(coupa_datetime(self.updated_at))),
            ("login", Doc::Str(self.login.clone())),
            ("email", Doc::Str(self.email.clone())),
            ("firstname", Doc::Str(self.firstname.clone())),
            ("lastname", Doc::Str(self.lastname.clone())),
            (
                "fullname",
                Doc::Str(format!("{} {}", self.firstname, self.lastname)),
            ),
            ("active", Doc::Bool(self.active)),
            ("employee-number", Doc::opt_str(&self.employee_number)),
            ("type", Doc::opt_str(&self.kind)),
            ("api-user", Doc::Bool(self.api_user)),
            ("supplier-user", Doc::Bool(self.supplier_user)),
        ];
        for (i, flag) in LICENSES.iter().enumerate() {
            fields.push((flag, Doc::Bool(self.licenses & (1 << i) != 0)));
        }
        fields.push(("roles", Doc::Arr(roles)));
        fields.push(("user-groups", Doc::Arr(groups)));
        Doc::obj(fields)
    }
}

impl Tenant {
    /// A tenant with [`DEFAULT_USERS`] people (the unit tests' tenants).
    #[cfg(test)]
    pub fn generate(groups_n: usize, roles_n: usize) -> Tenant {
        Tenant::with_users(groups_n, roles_n, DEFAULT_USERS)
    }

    /// A tenant with `users_n` people (at least [`USER_POOL`]), and records that are not people
    /// on top.
    pub fn with_users(groups_n: usize, roles_n: usize, users_n: usize) -> Tenant {
        let users = people(users_n.max(USER_POOL));
        let non_people = non_people(&users);
        Tenant::assemble(groups_n, roles_n, users, non_people)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupa::query::{parse, render, select};

    fn pairs(raw: &str) -> Vec<(String, String)> {
        crate::util::parse_form(raw.as_bytes())
    }

    fn ids(t: &Tenant, raw: &str) -> Vec<i64> {
        let q = parse::<User>(&pairs(raw)).unwrap();
        select(&t.user_records, &q)
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect()
    }

    #[test]
    fn directories_nest_and_keep_the_users_groups_mention() {
        let small = Tenant::generate(10, 5);
        let big = Tenant::with_users(10, 5, 10_000);
        assert_eq!(small.users.len(), crate::coupa::seed::DEFAULT_USERS);
        assert_eq!(big.users.len(), 10_000);
        for (a, b) in small.users.iter().zip(&big.users) {
            assert_eq!(
                (a.id, &a.login, a.active, a.licenses),
                (b.id, &b.login, b.active, b.licenses)
            );
        }
        assert_eq!(small.users[1].login, "jdoe0");
        assert_eq!(small.users[0].login, "coupasupport");
        let groups: Vec<_> = small.groups.iter().map(|g| g.users.clone()).collect();
        let big_groups: Vec<_> = big.groups.iter().map(|g| g.users.clone()).collect();
        assert_eq!(groups, big_groups, "groups do not depend on the user count");
        assert!(big.users.windows(2).all(|w| w[1].id > w[0].id));
        let logins: std::collections::HashSet<&str> =
            big.users.iter().map(|u| u.login.as_str()).collect();
        assert_eq!(logins.len(), big.users.len(), "logins are unique");
        assert!(big.users.iter().all(|u| u.created_at < 1_800_000_000));
    }

    #[test]
    fn licenses_inactive_people_and_records_that_are_not_people() {
        let t = Tenant::generate(10, 5);
        let held = |bit: usize| {
            t.users
                .iter()
                .filter(|u| u.licenses & (1 << bit) != 0)
                .count()
        };
        for nobody in ["risk-assess-user", "treasury-user", "category-planner-user"] {
            assert_eq!(held(license_index(nobody).unwrap()), 0, "{nobody}");
        }
        assert!(held(0) > 100, "most people purchase");
        let inactive = t.users.iter().filter(|u| !u.active).count();
        assert!((10..=40).contains(&inactive), "{inactive} inactive");
        assert!(t.non_people.len() >= 3, "{} records", t.non_people.len());
        assert!(t.non_people.iter().any(|u| u.active));
        assert_eq!(t.user_records.len(), t.users.len() + t.non_people.len());

        let people: Vec<i64> = t.users.iter().map(|u| u.id).take(50).collect();
        assert_eq!(ids(&t, "type%5Bblank%5D=true&limit=50"), people);
        assert_ne!(
            ids(&t, "limit=50"),
            people,
            "the first page holds an API user"
        );
        let treasury = ids(&t, "treasury-user=true&type[blank]=true");
        assert!(treasury.is_empty());
        assert_eq!(
            ids(&t, "treasury_user=true").len(),
            t.non_people.len().min(50)
        );
        let active: Vec<i64> = t
            .user_records
            .iter()
            .filter(|u| u.active)
            .map(|u| u.id)
            .take(50)
            .collect();
        assert_eq!(ids(&t, "active=true"), active);
        assert_eq!(ids(&t, "status=active"), active);
        let total = t.user_records.len();
        assert!(total > 150 && total < 200, "{total} records");
        assert_eq!(ids(&t, "limit=50&offset=150").len(), total - 150);
        assert_eq!(
            ids(&t, "limit=500&offset=0").len(),
            50,
            "pages hold 50 at most"
        );
    }

    #[test]
    fn some_people_carry_the_supplier_or_api_flag_and_stay_people() {
        let t = Tenant::generate(137, 23);
        let flagged: Vec<&User> = t
            .users
            .iter()
            .filter(|u| u.supplier_user || u.api_user)
            .collect();
        assert!(flagged.iter().all(|u| u.kind.is_none()));
        assert_eq!(t.users.iter().filter(|u| u.api_user).count(), 1);
        assert!(t.users.iter().filter(|u| u.supplier_user).count() >= 10);
        let pooled = |u: &&&User| {
            t.groups
                .iter()
                .any(|g| g.members(&t).iter().any(|m| m.id == u.id))
        };
        assert!(flagged.iter().filter(pooled).count() >= 2, "in groups");
        assert!(flagged.iter().any(|u| u.licenses != 0), "hold licenses");
        let supplier = ids(&t, "supplier_user=true&type[blank]=true&limit=50");
        assert!(!supplier.is_empty());
        let doc = render(flagged[0], &t, &parse::<User>(&[]).unwrap()).to_json();
        assert!(doc.contains("\"type\":null"), "{doc}");
        let api = t.users.iter().find(|u| u.api_user).unwrap();
        let doc = render(api, &t, &parse::<User>(&[]).unwrap()).to_json();
        assert!(doc.contains("\"api-user\":true"), "{doc}");
    }

    #[test]
    fn fields_keep_the_flags_hyphenated() {
        let t = Tenant::generate(3, 3);
        let q = parse::<User>(&pairs(
            "fields=%5B%22id%22%2C%22login%22%2C%22active%22%2C%22purchasing-user%22%2C%22treasury_user%22%5D",
        ))
        .unwrap();
        let doc = render(&t.user_records[0], &t, &q).to_json();
        let want = format!(
            "{{\"id\":1,\"login\":\"coupasupport\",\"active\":true,\"purchasing-user\":{},\"treasury-user\":false}}",
            t.users[0].licenses & 1 != 0
        );
        assert_eq!(doc, want);
        let full = render(&t.non_people[0], &t, &parse::<User>(&[]).unwrap()).to_json();
        assert!(full.contains("\"type\":\"ApiUser\""), "{full}");
        for flag in LICENSES {
            assert!(full.contains(&format!("\"{flag}\":")), "{flag} in {full}");
        }
        assert_eq!(
            license_names(1 | 1 << 12),
            ["purchasing-user", "treasury-user"]
        );
    }

    #[test]
    fn memberships_agree_with_the_groups_and_roles_are_granted() {
        let t = Tenant::generate(137, 23);
        for (gi, g) in t.user_groups.iter().enumerate() {
            for &ui in &g.users {
                assert!(
                    t.users[ui].user_groups.contains(&gi),
                    "{} in {}",
                    t.users[ui].id,
                    g.id
                );
            }
        }
        for u in &t.users {
            for &gi in &u.user_groups {
                let idx = t.users.iter().position(|x| x.id == u.id).unwrap();
                assert!(t.user_groups[gi].users.contains(&idx));
            }
        }
        // Records that are not people sit in some groups, and both sides say so.
        let mixed: Vec<&crate::coupa::seed::Group> = t
            .user_groups
            .iter()
            .filter(|g| g.members(&t).iter().any(|u| u.kind.is_some()))
            .collect();
        assert!(mixed.len() >= 5, "{} groups hold non-people", mixed.len());
        for (gi, g) in t.user_groups.iter().enumerate() {
            for &ni in &g.non_people {
                assert!(t.non_people[ni].user_groups.contains(&gi));
            }
        }
        for u in &t.non_people {
            for &gi in &u.user_groups {
                assert!(t.user_groups[gi].members(&t).iter().any(|m| m.id == u.id));
            }
        }
        let holders = |rid: i64| {
            t.users
                .iter()
                .filter(|u| u.roles.iter().any(|&i| t.roles[i].id == rid))
                .count()
        };
        assert!(
            holders(3) > 100 && holders(2) > 0 && holders(2) < 30,
            "User and Admin"
        );
        assert!(t
            .non_people
            .iter()
            .all(|u| u.roles.len() == 1 && t.roles[u.roles[0]].id == 2));
        let q = parse::<User>(&pairs(
            "fields=%5B%22id%22%2C%7B%22roles%22%3A%5B%22id%22%5D%7D%2C%7B%22user-groups%22%3A%5B%22id%22%5D%7D%5D",
        ))
        .unwrap();
        let someone = t.users.iter().find(|u| !u.user_groups.is_empty()).unwrap();
        let doc = render(someone, &t, &q).to_json();
        let roles: Vec<String> = someone
            .roles
            .iter()
            .map(|&i| format!("{{\"id\":{}}}", t.roles[i].id))
            .collect();
        let groups: Vec<String> = someone
            .user_groups
            .iter()
            .map(|&i| format!("{{\"id\":{}}}", t.user_groups[i].id))
            .collect();
        assert_eq!(
            doc,
            format!(
                "{{\"id\":{},\"roles\":[{}],\"user-groups\":[{}]}}",
                someone.id,
                roles.join(","),
                groups.join(",")
            )
        );
    }
}
