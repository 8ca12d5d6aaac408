use super::*;

fn pairs(raw: &str) -> Vec<(String, String)> {
    crate::util::parse_form(raw.as_bytes())
}

fn ids(t: &Tenant, raw: &str) -> Result<Vec<i64>, String> {
    let q = parse::<Group>(&pairs(raw))?;
    Ok(select(&t.groups, &q)?.iter().map(|g| g.id).collect())
}

#[test]
fn limit_is_clamped_and_defaults_to_50() {
    let p = |raw| parse::<Group>(&pairs(raw)).unwrap().limit;
    assert_eq!(p(""), 50);
    assert_eq!(p("limit=500"), 50);
    assert_eq!(p("limit=0"), 1);
    assert_eq!(p("limit=-3"), 1);
    assert_eq!(p("limit=7"), 7);
    assert_eq!(p("limit=abc"), 50);
}

#[test]
fn keyset_paging_with_id_gt_walks_everything_once() {
    let t = Tenant::generate(137, 23);
    let mut last = 0;
    let mut seen: Vec<i64> = Vec::new();
    loop {
        let page = ids(
            &t,
            &format!("id%5Bgt%5D={last}&order_by=id&dir=asc&limit=50"),
        )
        .unwrap();
        seen.extend(&page);
        if page.len() < 50 {
            break;
        }
        last = *page.last().unwrap();
    }
    let all: Vec<i64> = t.groups.iter().map(|g| g.id).collect();
    assert_eq!(seen, all);
    assert_eq!(ids(&t, "id[gt]=999999").unwrap(), Vec::<i64>::new());
    let g5 = t.groups[5].id;
    assert_eq!(
        ids(&t, &format!("id[lt_or_eq]={g5}&id[gt_or_eq]={g5}")).unwrap(),
        [g5]
    );
    assert_eq!(ids(&t, &format!("id={g5}")).unwrap(), [g5]);
}

#[test]
fn filters_order_and_errors() {
    let t = Tenant::generate(137, 23);
    let inactive = ids(&t, "active=false&limit=50").unwrap();
    assert!(inactive
        .iter()
        .all(|id| !t.groups.iter().find(|g| g.id == *id).unwrap().active));
    assert_eq!(ids(&t, "name=ap+team").unwrap(), [5]);
    let emea = ids(&t, "name%5Bcontains%5D=emea").unwrap();
    assert!(!emea.is_empty());
    let desc = ids(&t, "order_by=id&dir=desc&limit=2").unwrap();
    assert_eq!(desc, [t.groups[136].id, t.groups[135].id]);
    let cut = t.groups[100].updated_at;
    let newer = ids(
        &t,
        &format!("updated-at[gt]={}", crate::util::coupa_datetime(cut)),
    )
    .unwrap();
    let expected: Vec<i64> = t
        .groups
        .iter()
        .filter(|g| g.updated_at > cut)
        .map(|g| g.id)
        .take(50)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(newer, expected);
    assert_eq!(
        ids(&t, "colour=red").unwrap_err(),
        "Unknown attribute colour"
    );
    assert!(ids(&t, "id[near]=3")
        .unwrap_err()
        .contains("Unknown operator"));
    assert!(ids(&t, "id[gt]=x").unwrap_err().contains("Invalid integer"));
    assert!(ids(&t, "order_by=colour")
        .unwrap_err()
        .contains("Unknown attribute"));
    assert_eq!(
        ids(&t, "description[blank]=true").unwrap().len(),
        t.groups.iter().filter(|g| g.description.is_none()).count()
    );
    assert_eq!(
        ids(&t, "id[in]=5,6,7,8").unwrap().len(),
        t.groups.iter().filter(|g| (5..=8).contains(&g.id)).count()
    );
}

/// `/api/user_groups` lists projects among the groups; `type[blank]=true` drops them and
/// `type=Project` keeps only them.
#[test]
fn projects_sit_among_the_groups_until_filtered_out() {
    let t = Tenant::generate(137, 23);
    assert!(t.projects.len() >= 5, "{} projects", t.projects.len());
    assert_eq!(t.user_groups.len(), t.groups.len() + t.projects.len());
    let all = |raw: &str| -> Vec<i64> {
        let q = parse::<Group>(&pairs(raw)).unwrap();
        select(&t.user_groups, &q)
            .unwrap()
            .iter()
            .map(|g| g.id)
            .collect()
    };
    let first = all("limit=50");
    assert!(
        t.projects.iter().any(|p| first.contains(&p.id)),
        "the first page already holds a project"
    );
    let group_ids: Vec<i64> = t.groups.iter().map(|g| g.id).take(50).collect();
    assert_eq!(all("type%5Bblank%5D=true&limit=50"), group_ids);
    let project_ids: Vec<i64> = t.projects.iter().map(|g| g.id).take(50).collect();
    assert_eq!(all("type=Project&limit=50"), project_ids);
    assert_eq!(all("type%5Bblank%5D=false&limit=50"), project_ids);
    let doc = render(&t.projects[0], &t, &parse::<Group>(&pairs("")).unwrap());
    assert!(matches!(doc.get("type"), Some(Doc::Str(k)) if k == "Project"));
    // Nested tenants keep nesting, projects included.
    let big = Tenant::generate(400, 23);
    assert_eq!(big.projects[..t.projects.len()].len(), t.projects.len());
    for (a, b) in t.projects.iter().zip(&big.projects) {
        assert_eq!((a.id, &a.name), (b.id, &b.name));
    }
}

#[test]
fn fields_projection_is_hyphenated_and_ignores_unknowns() {
    let t = Tenant::generate(3, 3);
    let q = parse::<Group>(&pairs(
        "fields=%5B%22id%22%2C%22name%22%2C%22created_at%22%2C%7B%22users%22%3A%5B%22id%22%5D%7D%2C%7B%22nope%22%3A%5B%22id%22%5D%7D%2C%22bogus%22%5D",
    ))
    .unwrap();
    let g = &t.groups[0];
    let d = render(g, &t, &q);
    let Doc::Obj(fields) = &d else { panic!() };
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["id", "created-at", "name", "users"]);
    if let Some(Doc::Arr(users)) = d.get("users") {
        assert!(users
            .iter()
            .all(|u| matches!(u, Doc::Obj(f) if f.len() == 1 && f[0].0 == "id")));
    }
    let limited = parse::<Group>(&pairs("return_object=limited")).unwrap();
    assert_eq!(
        render(g, &t, &limited).to_json(),
        format!("{{\"id\":{}}}", g.id)
    );
    assert!(parse::<Group>(&pairs("fields=id,name")).is_err());
    let full = render(g, &t, &parse::<Group>(&[]).unwrap()).to_json();
    for k in [
        "\"created-at\"",
        "\"can-approve\"",
        "\"mention-name\"",
        "\"avatar-thumb-url\"",
        "\"created-by\"",
        "\"updated-by\"",
        "\"content-groups\"",
        "\"users\"",
    ] {
        assert!(full.contains(k), "{k} in {full}");
    }
    let role = render(
        &t.roles[0],
        &t,
        &parse::<Role>(&pairs("fields=[\"id\",\"system-role\"]")).unwrap(),
    );
    assert_eq!(role.to_json(), "{\"id\":2,\"system-role\":true}");
}
