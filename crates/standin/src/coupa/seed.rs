//! The Coupa tenant's data: user groups, roles and the users they mention. The user directory
//! (people with license flags, and the records that are not people) is generated in
//! [`crate::coupa::users`].
//!
//! Generated from a fixed seed with our own SplitMix64 (not `rand`'s `StdRng`, whose output may
//! change between versions), so every start with the same sizes serves the same lists and tests
//! can assert exact IDs and names. Each record draws a fixed number of random values, so a
//! smaller tenant is a prefix of a larger one. IDs ascend with gaps, as real instances have them.

use crate::coupa::doc::Doc;
use crate::util::coupa_datetime;

/// SplitMix64: tiny, fast and stable forever.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A user record of `/api/users`; its `UserSimple` subset is embedded in groups (`users`,
/// `created-by`, …).
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub employee_number: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub active: bool,
    /// Coupa's `type`: `None` (blank) for a person, else the kind of record that is not one
    /// (`ApiUser`, …), which `/api/users` lists among the people unless asked `type[blank]=true`.
    pub kind: Option<String>,
    /// Coupa's `api-user` flag. Set on API users, and on one person (blank `type`): the flag does
    /// not make a record a non-person, `type` does (reference §3.1, §4.5).
    pub api_user: bool,
    /// Coupa's `supplier-user` flag, set on some people (blank `type`), who stay people.
    pub supplier_user: bool,
    /// The license flags this user holds: bit `i` is [`crate::coupa::users::LICENSES`]`[i]`.
    pub licenses: u32,
    /// Indexes into [`Tenant::roles`]: the roles the user holds, ascending by role id.
    pub roles: Vec<usize>,
    /// Indexes into [`Tenant::user_groups`] (groups and projects): the ones whose `users`
    /// name this user, ascending by id. Filled from the groups, so the two always agree.
    pub user_groups: Vec<usize>,
}

impl User {
    pub fn doc(&self) -> Doc {
        Doc::obj(vec![
            ("id", Doc::Int(self.id)),
            ("login", Doc::Str(self.login.clone())),
            ("firstname", Doc::Str(self.firstname.clone())),
            ("lastname", Doc::Str(self.lastname.clone())),
            (
                "fullname",
                Doc::Str(format!("{} {}", self.firstname, self.lastname)),
            ),
            ("email", Doc::Str(self.email.clone())),
            ("employee-number", Doc::opt_str(&self.employee_number)),
            ("salesforce-id", Doc::Null),
            ("avatar-thumb-url", Doc::Null),
            ("created-at", Doc::Time(coupa_datetime(self.created_at))),
            ("updated-at", Doc::Time(coupa_datetime(self.updated_at))),
        ])
    }
}

#[derive(Clone, Debug)]
pub struct Group {
    pub id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub can_approve: bool,
    pub open: bool,
    pub mention_name: String,
    /// Coupa's `type`: `None` (blank) for a user group, `Some("Project")` for a project, which
    /// `/api/user_groups` lists among the groups unless asked `type[blank]=true`.
    pub kind: Option<String>,
    /// Indexes into [`Tenant::users`].
    pub users: Vec<usize>,
    /// Indexes into [`Tenant::non_people`]: records that are not people but sit in the group
    /// (an integration's account in an approvers' group), listed in the group's `users` too.
    pub non_people: Vec<usize>,
    pub created_by: usize,
    pub updated_by: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Role {
    pub id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub name: String,
    pub description: Option<String>,
    pub omnipotent: bool,
    pub system_role: bool,
    pub created_by: Option<usize>,
    pub updated_by: Option<usize>,
}

impl Group {
    /// Who the group's `users` lists: its people and the records that are not people in it,
    /// by id.
    pub fn members<'a>(&self, t: &'a Tenant) -> Vec<&'a User> {
        let mut out: Vec<&User> = self
            .users
            .iter()
            .filter_map(|&i| t.users.get(i))
            .chain(self.non_people.iter().filter_map(|&i| t.non_people.get(i)))
            .collect();
        out.sort_by_key(|u| u.id);
        out.dedup_by_key(|u| u.id);
        out
    }
}

pub struct Tenant {
    /// The user groups proper (`type` blank).
    pub groups: Vec<Group>,
    /// Projects, which Coupa keeps in the same collection.
    pub projects: Vec<Group>,
    /// What `/api/user_groups` serves: groups and projects, by id.
    pub user_groups: Vec<Group>,
    pub roles: Vec<Role>,
    /// The people (`type` blank), by id. Groups mention only the first [`USER_POOL`] of them,
    /// so a tenant's groups do not change with its number of users.
    pub users: Vec<User>,
    /// User records that are not people (API users, …).
    pub non_people: Vec<User>,
    /// What `/api/users` serves: people and the rest, by id.
    pub user_records: Vec<User>,
}

/// How many users a tenant has unless told otherwise: more than three pages of 50.
pub const DEFAULT_USERS: usize = 180;
/// The users that groups, roles and their `created-by` draw from.
pub const USER_POOL: usize = 41;

const TEAMS: [&str; 30] = [
    "AP Team",
    "AR Team",
    "Procurement",
    "Finance Approvers",
    "IT Approvers",
    "Expense Reviewers",
    "Sourcing",
    "Contracts",
    "Legal Review",
    "Treasury",
    "Payroll",
    "Facilities",
    "Marketing Approvers",
    "Sales Ops",
    "HR Approvers",
    "Catalog Managers",
    "Supplier Onboarding",
    "Invoice Exceptions",
    "Budget Owners",
    "Travel Desk",
    "Inventory Control",
    "Receiving",
    "Tax",
    "Audit",
    "Security Review",
    "Risk Review",
    "Capital Expenditure",
    "Executive Approvers",
    "Project Managers",
    "Analytics",
];
const REGIONS: [&str; 4] = ["EMEA", "APAC", "NA", "LATAM"];
pub(crate) const FIRST: [&str; 12] = [
    "Jane", "John", "Priya", "Wei", "Carlos", "Amara", "Lukas", "Sofia", "Kenji", "Fatima", "Noah",
    "Olga",
];
pub(crate) const LAST: [&str; 10] = [
    "Doe", "Smith", "Patel", "Chen", "Garcia", "Okafor", "Muller", "Rossi", "Sato", "Haddad",
];
const CUSTOM_ROLES: [&str; 20] = [
    "Split Accounting",
    "Expense Approver",
    "AP Clerk",
    "AP Manager",
    "Supplier Manager",
    "Catalog Administrator",
    "Integration Administrator",
    "Invoice Reviewer",
    "Sourcing Manager",
    "Contract Manager",
    "Inventory Manager",
    "Receiving Clerk",
    "Budget Manager",
    "Treasury Analyst",
    "Analytics Viewer",
    "Expense Auditor",
    "Procurement Lead",
    "Travel Coordinator",
    "Tax Reviewer",
    "Security Administrator",
];

/// 2019-03-01T00:00:00Z: when the seeded instance went live.
pub(crate) const EPOCH: i64 = 1_551_398_400;
pub(crate) const DAY: i64 = 86_400;

/// Name of the `i`-th group: the 30 plain team names, then "Procurement EMEA 12"-style ones.
pub fn group_name(i: usize) -> String {
    if i < TEAMS.len() {
        return TEAMS[i].to_string();
    }
    let j = i - TEAMS.len();
    let (team, region, n) = (j % 30, (j / 30) % 4, j / 120 + 1);
    format!("{} {} {n}", TEAMS[team], REGIONS[region])
}

fn groups(n: usize, pool: usize) -> Vec<Group> {
    let mut rng = Rng::new(0xC0FA_0002);
    let mut id = 5;
    let mut created = EPOCH + 3 * DAY;
    (0..n)
        .map(|i| {
            // Every group draws exactly the same number of values, so tenants nest.
            let r: [u64; 10] = std::array::from_fn(|_| rng.next());
            if i > 0 {
                id += 1 + (r[0] % 3) as i64;
            }
            created += 3600 + (r[1] % (3 * DAY as u64)) as i64;
            let name = group_name(i);
            let users = (0..(r[2] % 5) as usize)
                .map(|k| 1 + ((r[3] >> (k * 8)) as usize % (pool - 1)))
                .collect();
            Group {
                id,
                created_at: created,
                updated_at: created + (r[4] % (400 * DAY as u64)) as i64,
                description: (!r[5].is_multiple_of(4)).then(|| format!("Members of {name}")),
                active: i == 0 || !r[6].is_multiple_of(7),
                can_approve: !r[7].is_multiple_of(3),
                open: r[7].is_multiple_of(5),
                mention_name: name.to_lowercase().replace(' ', "_"),
                name,
                kind: None,
                users,
                non_people: Vec::new(),
                created_by: if r[8].is_multiple_of(2) {
                    0
                } else {
                    1 + (r[8] >> 8) as usize % (pool - 1)
                },
                updated_by: (!r[9].is_multiple_of(3))
                    .then(|| 1 + (r[9] >> 8) as usize % (pool - 1)),
            }
        })
        .collect()
}

fn roles(n: usize) -> Vec<Role> {
    let mut rng = Rng::new(0xC0FA_0003);
    let stock = [
        (
            2,
            "Admin",
            "Full system access to setup and maintain the application",
            true,
        ),
        (
            3,
            "User",
            "Standard role for all users who need to create and/or approve requisitions",
            false,
        ),
        (
            4,
            "Buyer",
            "Reviews requisitions and manages purchase orders and suppliers",
            false,
        ),
    ];
    let mut out: Vec<Role> = stock
        .iter()
        .take(n)
        .map(|(id, name, desc, omni)| Role {
            id: *id,
            created_at: EPOCH,
            updated_at: EPOCH,
            name: name.to_string(),
            description: Some(desc.to_string()),
            omnipotent: *omni,
            system_role: true,
            created_by: None,
            updated_by: None,
        })
        .collect();
    let mut id = 10_100;
    for i in 0..n.saturating_sub(stock.len()) {
        let r: [u64; 4] = std::array::from_fn(|_| rng.next());
        id += 1 + (r[0] % 4) as i64;
        let name = CUSTOM_ROLES
            .get(i)
            .map_or_else(|| format!("Custom Role {}", i + 1), |n| n.to_string());
        let created = EPOCH + 30 * DAY + (i as i64) * 11 * DAY + (r[1] % DAY as u64) as i64;
        out.push(Role {
            id,
            created_at: created,
            updated_at: created + (r[2] % (200 * DAY as u64)) as i64,
            description: (!r[3].is_multiple_of(3)).then(|| format!("Custom role: {name}")),
            name,
            omnipotent: false,
            system_role: false,
            created_by: Some(0),
            updated_by: (r[3].is_multiple_of(2)).then_some(0),
        });
    }
    out
}

/// One project in every fifth gap between the ids of two consecutive groups: projects sit among
/// the groups by id, as they do in a real tenant, and a smaller tenant's projects are a prefix
/// of a larger one's.
fn projects(groups: &[Group]) -> Vec<Group> {
    groups
        .windows(2)
        .filter(|w| w[1].id - w[0].id >= 2)
        .enumerate()
        .filter(|(gap, _)| gap % 5 == 2)
        .map(|(n, w)| {
            let name = format!(
                "Project {} {}",
                ["Apollo", "Borealis", "Cedar", "Delta"][n % 4],
                n / 5 + 1
            );
            Group {
                id: w[0].id + 1,
                name: name.clone(),
                description: Some(format!("Project team of {name}")),
                mention_name: name.to_lowercase().replace(' ', "_"),
                kind: Some("Project".into()),
                users: w[0].users.clone(),
                ..w[0].clone()
            }
        })
        .collect()
}

/// The roles a user holds, decided by a hash of the user's and the role's ids (so a larger
/// tenant's users keep their roles, and no other stream of the seed moves): most people hold
/// `User`, some `Buyer`, a few `Admin` and custom roles; a record that is not a person holds
/// `Admin` (integrations usually do), which a client must not count as a person's grant.
fn role_grants(u: &User, roles: &[Role], not_a_person: bool) -> Vec<usize> {
    roles
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let per_mille = match r.id {
                2 if not_a_person => 1000,
                _ if not_a_person => 0,
                2 => 30,
                3 => 850,
                4 => 150,
                _ => 60,
            };
            let mut h = Rng::new((u.id as u64) << 32 ^ r.id as u64 ^ 0xC0FA_0006);
            h.below(1000) < per_mille
        })
        .map(|(i, _)| i)
        .collect()
}

impl Tenant {
    /// A tenant of `groups_n` user groups (projects come on top) and `roles_n` roles, whose user
    /// directory holds `users` (people) and `non_people`. The users are made by
    /// `Tenant::with_users` (in `users`), which calls this.
    pub fn assemble(
        groups_n: usize,
        roles_n: usize,
        users: Vec<User>,
        non_people: Vec<User>,
    ) -> Tenant {
        let mut groups = groups(groups_n, USER_POOL);
        // Every fifth group also holds one of the first records that are not people (the first
        // ones do not change with the number of people), so a client must tell them apart by
        // `type` in a group's `users` as in `/api/users`.
        let few = non_people.len().min(3);
        if few > 0 {
            for (i, g) in groups.iter_mut().enumerate().filter(|(i, _)| i % 5 == 1) {
                g.non_people.push((i / 5) % few);
            }
        }
        let projects = projects(&groups);
        let mut user_groups: Vec<Group> = groups.iter().chain(&projects).cloned().collect();
        user_groups.sort_by_key(|g| g.id);
        let roles = roles(roles_n);
        let mut users = users;
        let mut non_people = non_people;
        // Memberships as each user sees them, from the groups' own `users`.
        for (gi, g) in user_groups.iter().enumerate() {
            for &ui in &g.users {
                if let Some(u) = users.get_mut(ui) {
                    if !u.user_groups.contains(&gi) {
                        u.user_groups.push(gi);
                    }
                }
            }
        }
        for (gi, g) in user_groups.iter().enumerate() {
            for &ni in &g.non_people {
                if let Some(u) = non_people.get_mut(ni) {
                    if !u.user_groups.contains(&gi) {
                        u.user_groups.push(gi);
                    }
                }
            }
        }
        for u in non_people.iter_mut() {
            u.user_groups.sort_unstable();
        }
        for u in users.iter_mut() {
            u.user_groups.sort_unstable();
            u.roles = role_grants(u, &roles, false);
        }
        for u in non_people.iter_mut() {
            u.roles = role_grants(u, &roles, true);
        }
        let mut user_records: Vec<User> = users.iter().chain(&non_people).cloned().collect();
        user_records.sort_by_key(|u| u.id);
        Tenant {
            groups,
            projects,
            user_groups,
            roles,
            users,
            non_people,
            user_records,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn seed_is_deterministic_nested_and_shaped_like_the_brief() {
        let a = Tenant::generate(137, 23);
        let b = Tenant::generate(400, 30);
        assert_eq!(a.groups.len(), 137);
        assert_eq!(a.roles.len(), 23);
        for (x, y) in a.groups.iter().zip(&b.groups) {
            assert_eq!((x.id, &x.name, x.active), (y.id, &y.name, y.active));
        }
        assert_eq!(a.groups[0].id, 5);
        assert_eq!(a.groups[0].name, "AP Team");
        let ids: Vec<i64> = a.groups.iter().map(|g| g.id).collect();
        assert!(ids.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 3));
        assert!(
            ids.windows(2).any(|w| w[1] - w[0] > 1),
            "ids must have gaps"
        );
        let names: HashSet<String> = b.groups.iter().map(|g| g.name.clone()).collect();
        assert_eq!(names.len(), b.groups.len(), "names are unique");
        let inactive = a.groups.iter().filter(|g| !g.active).count();
        assert!(
            (8..=35).contains(&inactive),
            "about 1 in 7 inactive, got {inactive}"
        );
        assert!(a.groups.iter().any(|g| g.description.is_none()));
        let r: Vec<(i64, &str, bool, bool)> = a
            .roles
            .iter()
            .take(4)
            .map(|r| (r.id, r.name.as_str(), r.omnipotent, r.system_role))
            .collect();
        assert_eq!(
            r[..3],
            [
                (2, "Admin", true, true),
                (3, "User", false, true),
                (4, "Buyer", false, true)
            ]
        );
        assert_eq!((r[3].1, r[3].3), ("Split Accounting", false));
        assert!(a.roles.windows(2).all(|w| w[1].id > w[0].id));
        assert_eq!(group_name(30 + 120 * 11 + 2), "Procurement EMEA 12");
    }
}
