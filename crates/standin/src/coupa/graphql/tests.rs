//! The queries the connector and the provider send, and graphql-ruby-shaped errors.
use super::*;

const ON: Knobs = Knobs { role_flags: true };

fn answer(t: &Tenant, q: &str) -> Result<Value, String> {
    run(&parse(q)?, t, ON)
}

#[test]
fn the_connectors_and_the_providers_queries() {
    let t = Tenant::generate(137, 23);
    let roles = answer(
        &t,
        r#"query getRoles { roles(query: "") { id name description } }"#,
    )
    .unwrap();
    let rows = roles["roles"].as_array().unwrap();
    assert_eq!(rows.len(), 23);
    assert_eq!(
        rows[0],
        json!({"id": 2, "name": "Admin", "description": t.roles[0].description})
    );
    let next = answer(
        &t,
        r#"{ roles(query: "id[gt]=4") { id omnipotent systemRole } }"#,
    )
    .unwrap();
    assert_eq!(next["roles"][0]["id"], t.roles[3].id);
    assert_eq!(next["roles"][0]["systemRole"], false);
    let groups = answer(
        &t,
        r#"{ userGroups(query: "&id[gt]=0") { id name users { id } } }"#,
    )
    .unwrap();
    let rows = groups["userGroups"].as_array().unwrap();
    assert_eq!(rows.len(), 50, "pages of 50");
    assert!(
        rows.iter()
            .any(|g| g["name"].as_str().unwrap().starts_with("Project")),
        "no type filter"
    );
    assert_eq!(
        rows[0]["users"].as_array().unwrap().len(),
        t.user_groups[0].users.len()
    );
    // A user's roles and groups, as ConductorOne's connector asks for them.
    let someone = t.users.iter().find(|u| !u.user_groups.is_empty()).unwrap();
    let q = format!(
        r#"{{ users(query: "id={}") {{ id roles {{ id name }} userGroups {{ id }} }} }}"#,
        someone.id
    );
    let one = answer(&t, &q).unwrap();
    let roles: Vec<i64> = one["users"][0]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        roles,
        someone
            .roles
            .iter()
            .map(|&i| t.roles[i].id)
            .collect::<Vec<_>>()
    );
    let groups: Vec<i64> = one["users"][0]["userGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        groups,
        someone
            .user_groups
            .iter()
            .map(|&i| t.user_groups[i].id)
            .collect::<Vec<_>>()
    );
    let people = answer(
        &t,
        r#"{ users(query: "&type[blank]=true") { id email fullname active } }"#,
    )
    .unwrap();
    let ids: Vec<i64> = people["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        t.users.iter().take(50).map(|u| u.id).collect::<Vec<_>>()
    );
}

#[test]
fn errors_are_graphql_ruby_shaped() {
    let t = Tenant::generate(3, 5);
    let err = |q: &str| answer(&t, q).unwrap_err();
    assert_eq!(
        err(r#"{ roles(query: "") { id permissions } }"#),
        "Field 'permissions' doesn't exist on type 'Role'"
    );
    assert_eq!(
        err(r#"{ groups { id } }"#),
        "Field 'groups' doesn't exist on type 'Query'"
    );
    assert!(err(r#"mutation { x }"#).contains("Mutations"));
    assert!(err(r#"{ roles(query: "nope=1") { id } }"#).contains("Unknown attribute"));
    assert!(err(r#"{ roles(query: "x) { id }"#).contains("Unterminated"));
    let off = Knobs { role_flags: false };
    let q = parse(r#"{ roles(query: "") { id systemRole } }"#).unwrap();
    assert_eq!(
        run(&q, &t, off).unwrap_err(),
        "Field 'systemRole' doesn't exist on type 'Role'"
    );
    // A string literal holds exactly its text: an escaped quote does not end it.
    let q = parse(r#"{ roles(query: "name=A\"b") { id } }"#).unwrap();
    assert_eq!(q[0].args[0].1, "name=A\"b");
}
