use super::*;
use crate::coupa::model::decode_page;
use serde_json::json;

#[test]
fn the_nineteen_licenses_are_conductorones_sorted_and_requested() {
    let ids: Vec<&str> = LICENSES.iter().map(|l| l.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "sorted by id, each once");
    assert_eq!(ids.len(), 19);
    let underscored: Vec<&str> = ids.iter().copied().filter(|i| i.contains('_')).collect();
    assert_eq!(
        underscored,
        [
            "category_planner_user",
            "category_strategy_user",
            "invoicing_user",
            "treasury_user"
        ]
    );
    for l in LICENSES {
        assert_eq!(l.flag, l.id.replace('_', "-"), "{}", l.id);
    }
    let fields: Vec<serde_json::Value> = serde_json::from_str(User::FIELDS).unwrap();
    assert_eq!(fields[..4], ["id", "login", "active", "type"]);
    let flags: Vec<&str> = LICENSES.iter().map(|l| l.flag).collect();
    assert_eq!(fields[4..23], flags);
    assert_eq!(
        fields[23..],
        [
            json!("email"),
            json!("fullname"),
            json!({"roles": ["id"]}),
            json!({"user-groups": ["id"]})
        ]
    );
    assert!(crate::coupa::SCOPES_READ_ONLY.contains(&SCOPE_USERS));
    let purchasing = LICENSES.iter().find(|l| l.id == "purchasing-user");
    assert_eq!(purchasing.map(|l| l.name), Some("Purchasing"));
}

#[test]
fn users_decode_flags_leniently() {
    let page = json!([
        {"id": 101, "login": "jdoe", "active": true, "type": null,
         "purchasing-user": true, "expense-user": "true", "aic-user": 1, "travel-user": null,
         "treasury_user": true, "email": "x@example.com", "custom-fields": {}},
        {"id": "102", "active": "false", "treasury-user": false, "treasury_user": true},
        {"id": 103, "login": 42, "type": "ApiUser", "purchasing-user": true}
    ]);
    let users: Vec<User> = decode_page(page).unwrap();
    let u = &users[0];
    assert_eq!((u.id, u.login.as_str(), u.active), (101, "jdoe", true));
    let held: Vec<&str> = LICENSES
        .iter()
        .filter(|l| u.holds(l.id))
        .map(|l| l.id)
        .collect();
    assert_eq!(
        held,
        [
            "aic-user",
            "expense-user",
            "purchasing-user",
            "treasury_user"
        ]
    );
    assert!(u.listed());
    let v = &users[1];
    assert_eq!((v.id, v.login.as_str(), v.active), (102, "", false));
    assert!(!v.holds("treasury_user"), "the hyphenated key wins");
    assert!(!users[2].listed(), "an API user is not a person");
    assert_eq!(users[2].login, "42");
}

#[test]
fn bad_user_rows_name_the_field() {
    let cases = [
        (json!([{"login": "x"}]), "row 1: missing field `id`"),
        (
            json!([{"id": 1}, {"id": 2, "purchasing-user": "yes"}]),
            "row 2 (`$[1].purchasing-user`): invalid type: a string where a boolean was expected",
        ),
        (json!([{"id": -1}]), "id -1 is not a whole number"),
        (json!([{"id": 1, "type": ["x"]}]), "(`$[0].type`)"),
        (json!({"users": []}), "expected a JSON array"),
    ];
    for (page, want) in cases {
        let err = decode_page::<User>(page).unwrap_err().to_string();
        assert!(err.contains(want), "{err} should contain {want}");
    }
}

fn user(id: u64, active: bool, kind: &str, held: &[&str]) -> User {
    let mut licenses = [false; LICENSE_COUNT];
    for (flag, l) in licenses.iter_mut().zip(&LICENSES) {
        *flag = held.contains(&l.id);
    }
    User {
        id,
        login: format!("u{id}"),
        email: String::new(),
        fullname: String::new(),
        active,
        kind: kind.into(),
        licenses,
        role_ids: Vec::new(),
        group_ids: Vec::new(),
    }
}

#[test]
fn license_use_counts_people_per_license() {
    let users = [
        user(1000, true, "", &["purchasing-user", "expense-user"]),
        user(99, true, "", &["purchasing-user"]),
        user(150, false, "", &["purchasing-user", "intake-user"]),
        user(7, true, "ApiUser", &["purchasing-user", "treasury_user"]),
    ];
    let mut flagged: Vec<User> = decode_page(json!([
        {"id": 5, "active": true, "api-user": true, "travel-user": true},
        {"id": 6, "active": true, "type": null, "supplier-user": true, "travel-user": true},
        {"id": 4, "active": true, "type": "SystemUser", "travel-user": true}
    ]))
    .unwrap();
    flagged.extend(users.iter().cloned());
    let travel = license_use(&flagged, true);
    let travel = travel
        .iter()
        .find(|u| u.license.id == "travel-user")
        .unwrap();
    assert_eq!(
        travel.holders,
        [5, 6],
        "people are those of blank `type`, flags or not"
    );
    let all = license_use(&users, false);
    let active = license_use(&users, true);
    assert_eq!(all.len(), 19);
    let ids: Vec<&str> = all.iter().map(|u| u.license.id).collect();
    let want: Vec<&str> = LICENSES.iter().map(|l| l.id).collect();
    assert_eq!(ids, want);
    let holders = |list: &[LicenseUse], id: &str| -> Vec<u64> {
        list.iter()
            .find(|u| u.license.id == id)
            .map(|u| u.holders.clone())
            .unwrap()
    };
    assert_eq!(
        holders(&all, "purchasing-user"),
        [99, 150, 1000],
        "numeric order"
    );
    assert_eq!(holders(&active, "purchasing-user"), [99, 1000]);
    assert_eq!(holders(&all, "intake-user"), [150]);
    assert!(holders(&active, "intake-user").is_empty());
    assert!(
        holders(&all, "treasury_user").is_empty(),
        "an API user is not counted"
    );
    assert!(holders(&all, "risk-assess-user").is_empty());
    assert!(license_use(&[], true).iter().all(|u| u.holders.is_empty()));
}

#[test]
fn users_carry_their_roles_and_groups_and_memberships_count_people_only() {
    let page = json!([
        {"id": 101, "login": "jdoe", "email": "j@example.com", "fullname": "Jane Doe",
         "active": false, "roles": [{"id": 3}, {"id": "2"}], "user-groups": [{"id": 12}]},
        {"id": 5, "type": "ApiUser", "roles": [{"id": 2}], "user-groups": [{"id": 12}]},
        {"id": 7, "api-user": true, "type": "", "roles": [{"id": 2}]},
        {"id": 8, "supplier-user": "true", "user_groups": [{"id": 12}]},
        {"id": 99, "roles": null, "user_groups": [{"id": 12}, {"id": 12}]}
    ]);
    let users: Vec<User> = decode_page(page).unwrap();
    assert_eq!(users[0].role_ids, [2, 3]);
    assert_eq!(users[0].group_ids, [12]);
    assert_eq!(
        (users[0].email.as_str(), users[0].fullname.as_str()),
        ("j@example.com", "Jane Doe")
    );
    assert_eq!(users[4].group_ids, [12], "underscores, each once");
    assert!(users[4].role_ids.is_empty());
    assert!(!users[1].listed(), "a record whose `type` is not blank");
    assert!(
        users[2].listed() && users[3].listed(),
        "blank `type` is a person, whatever `api-user` and `supplier-user` say"
    );
    let m = Memberships::of(&users);
    assert_eq!(
        m.of_group(12),
        [8, 99, 101],
        "people only, inactive too, by id"
    );
    assert_eq!(m.of_role(2), [7, 101]);
    assert!(m.of_role(4).is_empty());
    for (page, want) in [
        (json!([{"id": 1, "roles": {"id": 2}}]), "not a list"),
        (json!([{"id": 1, "roles": [{"name": "x"}]}]), "no `id`"),
        (
            json!([{"id": 1, "user-groups": [{"id": -1}]}]),
            "not a whole number",
        ),
    ] {
        let err = decode_page::<User>(page).unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
    }
}
