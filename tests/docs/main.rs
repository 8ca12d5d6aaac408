//! The registry documentation in `docs/`: generated from the schema, checked against it.
//!
//! - `docs_are_up_to_date` renders every page (see `render.rs`) and fails when `docs/` differs.
//!   `make docs` runs this test with `UPDATE_DOCS=1`, which rewrites `docs/` instead.
//! - `every_schema_attribute_is_documented` reads the committed pages and checks, attribute by
//!   attribute, that each page lists exactly the schema's attributes (nested fields included) in
//!   the right section with the right type and sensitivity, like `tfplugindocs validate`.
//! - `descriptions_say_what_users_need` holds the descriptions to the project's rules: defaults,
//!   environment variables (from the constants the provider reads), what a change does, secrets
//!   in state.

mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use render::{Kind, Page, Schemas};
use tf_provider::schema::{AttributeConstraint, Schema};
use tfp_conductorone::provider::settings;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn docs_dir() -> PathBuf {
    repo().join("docs")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_DOCS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The rendered pages. With `UPDATE_DOCS` set, the first caller also writes them to `docs/` and
/// removes pages nothing renders any more, before any test reads `docs/`.
fn pages() -> &'static [Page] {
    static PAGES: OnceLock<Vec<Page>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let pages = render::render_all(repo(), &Schemas::load()).unwrap_or_else(|e| panic!("{e}"));
        if updating() {
            write_docs(&pages);
        }
        pages
    })
}

fn write_docs(pages: &[Page]) {
    let dir = docs_dir();
    for stale in committed_files() {
        if !pages.iter().any(|p| p.path == stale) {
            std::fs::remove_file(dir.join(&stale)).unwrap();
            eprintln!("removed docs/{stale}");
        }
    }
    for page in pages {
        let path = dir.join(&page.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(page.text.as_str()) {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &page.text).unwrap();
            eprintln!("wrote docs/{}", page.path);
        }
    }
}

/// The registry's pages under `docs/` (`index.md`, `resources/`, `data-sources/`, `guides/`), as
/// paths relative to it. Other files there (`dev/`, written by `make bench`) are not ours.
fn committed_files() -> BTreeSet<String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let rel = path.strip_prefix(base).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&docs_dir(), &docs_dir(), &mut out);
    // Registry pages only: docs/dev holds the project's own write-ups (reliability, performance).
    out.retain(|f| {
        f == "index.md"
            || ["resources/", "data-sources/", "guides/"]
                .iter()
                .any(|d| f.starts_with(d))
    });
    out
}

#[test]
fn docs_are_up_to_date() {
    let pages = pages();
    let mut problems = Vec::new();
    for page in pages {
        match std::fs::read_to_string(docs_dir().join(&page.path)) {
            Err(_) => problems.push(format!("docs/{} is missing", page.path)),
            Ok(text) if text != page.text => {
                let (n, (have, want)) = text
                    .lines()
                    .chain(std::iter::repeat(""))
                    .zip(page.text.lines().chain(std::iter::repeat("")))
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .unwrap();
                problems.push(format!(
                    "docs/{} differs from the schema and examples, first at line {}:\n    docs:      {have:?}\n    generated: {want:?}",
                    page.path,
                    n + 1
                ));
            }
            Ok(_) => {}
        }
    }
    for file in committed_files() {
        if !pages.iter().any(|p| p.path == file) {
            problems.push(format!("docs/{file} is not generated from anything"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ is stale; run `make docs` and commit the result.\n{}",
        problems.join("\n")
    );
}

/// One `- `name` (Type) …` entry of a committed page.
#[derive(Debug)]
struct Entry {
    section: String,
    type_label: String,
}

/// The schema entries of a page: `(section, name) -> type label`, where the section is
/// `Required`, `Optional`, `Read-Only` or `Nested Schema for `x``.
fn documented_entries(text: &str) -> BTreeMap<(String, String), Entry> {
    let mut entries = BTreeMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            section = Some(h.to_owned());
        } else if line.starts_with("## ") {
            section = None;
        } else if let (Some(section), Some(rest)) = (&section, line.strip_prefix("- `")) {
            let (name, rest) = rest.split_once("` (").expect("entry has a type");
            let (type_label, _) = rest.split_once(')').expect("type is closed");
            let previous = entries.insert(
                (section.clone(), name.to_owned()),
                Entry {
                    section: section.clone(),
                    type_label: type_label.to_owned(),
                },
            );
            assert!(previous.is_none(), "`{name}` listed twice under {section}");
        }
    }
    entries
}

fn expected_entries(schema: &Schema) -> BTreeMap<(String, String), String> {
    let mut expected = BTreeMap::new();
    for (name, attr) in &schema.block.attributes {
        let section = match attr.constraint {
            AttributeConstraint::Required => "Required",
            AttributeConstraint::Optional | AttributeConstraint::OptionalComputed => "Optional",
            AttributeConstraint::Computed => "Read-Only",
        };
        expected.insert((section.to_owned(), name.clone()), render::type_label(attr));
        if let Some(fields) = render::object_fields(&attr.attr_type) {
            for (field, t) in fields {
                expected.insert(
                    (format!("Nested Schema for `{name}`"), field.clone()),
                    render::type_name(t),
                );
            }
        }
    }
    for (name, block) in render::optional_blocks(schema).expect("renderable blocks") {
        expected.insert(
            ("Optional".to_owned(), name.clone()),
            "Block, Optional".to_owned(),
        );
        for (field, attr) in &block.attributes {
            expected.insert(
                (format!("Nested Schema for `{name}`"), field.clone()),
                render::type_label(attr),
            );
        }
    }
    expected
}

fn all_schemas(schemas: &Schemas) -> Vec<(Kind, String, &Schema)> {
    let mut all = vec![(
        Kind::Provider,
        render::PROVIDER.to_owned(),
        &schemas.provider,
    )];
    all.extend(
        schemas
            .resources
            .iter()
            .map(|(n, s)| (Kind::Resource, n.clone(), s)),
    );
    all.extend(
        schemas
            .data_sources
            .iter()
            .map(|(n, s)| (Kind::DataSource, n.clone(), s)),
    );
    all
}

#[test]
fn every_schema_attribute_is_documented() {
    pages(); // with UPDATE_DOCS, docs/ is written first
    let schemas = Schemas::load();
    let mut problems = Vec::new();
    for (kind, name, schema) in all_schemas(&schemas) {
        let path = render::page_path(kind, &name);
        let Ok(text) = std::fs::read_to_string(docs_dir().join(&path)) else {
            problems.push(format!("{name}: docs/{path} is missing"));
            continue;
        };
        let documented = documented_entries(&text);
        let expected = expected_entries(schema);
        for ((section, attr), type_label) in &expected {
            match documented.get(&(section.clone(), attr.clone())) {
                None => problems.push(format!(
                    "{name}.{attr}: not listed under \"{section}\" in docs/{path}"
                )),
                Some(e) if &e.type_label != type_label => problems.push(format!(
                    "{name}.{attr}: docs/{path} says ({}), the schema ({type_label})",
                    e.type_label
                )),
                Some(_) => {}
            }
        }
        for ((_, attr), e) in &documented {
            if !expected.contains_key(&(e.section.clone(), attr.clone())) {
                problems.push(format!(
                    "{name}: docs/{path} lists `{attr}` under \"{}\", which the schema does not have there",
                    e.section
                ));
            }
        }
        for (attr, a) in &schema.block.attributes {
            let summary = render::split_description(attr, &a.description.content)
                .map(|d| d.summary)
                .unwrap_or_default();
            if !text.contains(&summary) {
                problems.push(format!(
                    "{name}.{attr}: its description is not in docs/{path}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Which environment variables each provider attribute falls back to: the provider's settings
/// table, which also writes the descriptions checked here.
fn provider_env_vars() -> BTreeMap<&'static str, Vec<&'static str>> {
    settings::SETTINGS
        .iter()
        .map(|setting| (setting.attribute, setting.env.to_vec()))
        .collect()
}

#[test]
fn descriptions_say_what_users_need() {
    let schemas = Schemas::load();
    let env = provider_env_vars();
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what)
        }
    };
    for (kind, name, schema) in all_schemas(&schemas) {
        let block_description = schema.block.description.content.trim();
        check(
            block_description.len() > 40,
            format!("{name}: the schema needs a description"),
        );
        // Attributes of optional blocks (`timeouts`) are held to the same rules.
        let in_blocks = render::optional_blocks(schema)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|(b, block)| {
                block
                    .attributes
                    .iter()
                    .map(move |(a, attr)| (format!("{b}.{a}"), attr))
            });
        let attributes = schema
            .block
            .attributes
            .iter()
            .map(|(a, attr)| (a.clone(), attr))
            .chain(in_blocks);
        for (attr, a) in attributes {
            let attr = &attr;
            let d = a.description.content.as_str();
            let at = format!("{name}.{attr}");
            let split = render::split_description(attr, d);
            check(
                split.is_ok(),
                format!(
                    "{at}: {}",
                    split.as_ref().err().map(String::as_str).unwrap_or("")
                ),
            );
            let Ok(split) = split else { continue };
            check(
                split.summary.len() > 20 && split.summary.ends_with('.'),
                format!("{at}: describe it in at least one full sentence: {d:?}"),
            );
            if let Some(fields) = render::object_fields(&a.attr_type) {
                let fields: BTreeSet<&str> = fields.keys().map(|f| f.as_str()).collect();
                let described: BTreeSet<&str> = split.fields.keys().map(String::as_str).collect();
                check(
                    fields == described,
                    format!("{at}: describe every field as \"- `field`: text\" (fields {fields:?}, described {described:?})"),
                );
                for (field, text) in &split.fields {
                    check(
                        text.ends_with('.') && text.starts_with(|c: char| c.is_uppercase()),
                        format!("{at}.{field}: a field description is a sentence: {text:?}"),
                    );
                }
            }
            let optional = matches!(
                a.constraint,
                AttributeConstraint::Optional | AttributeConstraint::OptionalComputed
            );
            match kind {
                Kind::Provider => {
                    let vars = env.get(attr.as_str());
                    check(
                        vars.is_some(),
                        format!("{at}: add its environment variables to provider_env_vars()"),
                    );
                    let vars = vars.cloned().unwrap_or_default();
                    let named = match vars.as_slice() {
                        [one] => format!("Environment variable: `{one}`."),
                        many => format!(
                            "Environment variables, in order: {}.",
                            many.iter()
                                .map(|v| format!("`{v}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    check(
                        d.ends_with(&named),
                        format!("{at}: end the description with {named:?}"),
                    );
                    if a.sensitive {
                        check(
                            d.contains("not written to the state") && d.contains("plan files"),
                            format!("{at}: say that provider settings stay out of the state but a variable's value is kept in saved plan files"),
                        );
                    }
                }
                Kind::Resource | Kind::DataSource => {
                    if optional {
                        check(
                            d.contains("Default: "),
                            format!("{at}: say what happens when it is not set (\"Default: …\")"),
                        );
                    }
                    if a.sensitive {
                        check(
                            d.contains("**Stored in plain text in the Terraform state**")
                                && d.contains("encrypted backend"),
                            format!("{at}: warn that the value is stored in plain text in the state, and how to protect it"),
                        );
                    }
                }
            }
            if kind == Kind::Resource && a.constraint != AttributeConstraint::Computed {
                check(
                    d.contains("Changing it") || d.contains("changing it"),
                    format!("{at}: say what changing it does (replaces the resource, updates it in place, or sends nothing)"),
                );
            }
            if a.deprecated {
                check(
                    d.contains("Deprecated"),
                    format!("{at}: a deprecated attribute must say what replaces it"),
                );
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn provider_page_documents_authentication_and_the_official_provider() {
    pages();
    let text = std::fs::read_to_string(docs_dir().join("index.md")).expect("docs/index.md");
    let mut vars = vec![settings::ENV_ACCESS_TOKEN];
    vars.extend(provider_env_vars().into_values().flatten());
    for var in vars {
        assert!(
            text.contains(&format!("`{var}`")),
            "docs/index.md does not mention {var}"
        );
    }
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "## Authentication",
        "precedence",
        "conductorone/conductorone",
        "provider = c1coupa",
        "Terraform state",
        // The secret-free path, where the page tells where secrets go.
        "the delegated setup: a `conductorone_coupa_integration` without `coupa_domain`",
        "takes no Coupa credentials",
    ] {
        assert!(flat.contains(needle), "docs/index.md lacks {needle:?}");
    }
}

/// The resource page's Import section speaks of both modes: with the three credentials in the
/// configuration the next apply sends the secret; without them (the delegated setup) the import
/// plans no change, and a configuration written by `-generate-config-out` can go either way.
#[test]
fn the_import_section_covers_a_configuration_without_credentials() {
    pages();
    let text = std::fs::read_to_string(docs_dir().join("resources/coupa_integration.md"))
        .expect("docs/resources/coupa_integration.md");
    let import = text.split("## Import").nth(1).expect("an Import section");
    let flat = import
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .collect::<Vec<_>>()
        .join(" ");
    for needle in [
        "Missing Coupa Credential",
        "without `coupa_domain`, `client_id` and `client_secret`",
        "plans no change",
    ] {
        assert!(
            flat.contains(needle),
            "the Import section lacks {needle:?}:\n{import}"
        );
    }
}
