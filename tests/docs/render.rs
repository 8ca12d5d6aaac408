//! Renders the registry documentation (`docs/`) from the provider's own schema and `examples/`.
//!
//! HashiCorp's `tfplugindocs` is a Go program that builds the provider to read its schema; this
//! is the same page format (front matter, Example Usage, Schema with Required / Optional /
//! Read-Only, nested schemas, Import), read straight from the schema the plugin serves to
//! Terraform, so the docs cannot describe another schema than the one users get.
//!
//! Sources, and nothing else:
//! - the schema, through the `Provider` trait: every resource and data source the plugin serves
//!   gets a page, and a new one without examples fails the docs test;
//! - `examples/provider/provider.tf`, `examples/resources/<type>/{resource.tf,import-by-string-id.tf,import.sh}`,
//!   `examples/data-sources/<type>/data-source.tf`;
//! - `tests/docs/templates/index.md.tmpl`, the prose of the provider page (authentication,
//!   secrets in state, use next to the official provider), like a tfplugindocs template.
//!
//! Conventions read from descriptions: attribute descriptions are one Markdown paragraph; a
//! list-of-object attribute follows its paragraph with one bullet per field (`` - `field`: text ``),
//! which becomes that field's description in the nested schema section.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use tf_provider::schema::{Attribute, AttributeConstraint, AttributeType, NestedBlock, Schema};
use tf_provider::{Diagnostics, Provider};
use tfp_conductorone::provider::ConductorOneProvider;

/// The provider's type name: the prefix of every resource and data source type.
pub const PROVIDER: &str = "conductorone";

/// Every schema the plugin serves, resources and data sources under their full type names.
pub struct Schemas {
    pub provider: Schema,
    pub resources: BTreeMap<String, Schema>,
    pub data_sources: BTreeMap<String, Schema>,
}

impl Schemas {
    pub fn load() -> Self {
        let p = ConductorOneProvider::new();
        let mut diags = Diagnostics::default();
        let provider = p.schema(&mut diags).expect("provider schema");
        let resources = p
            .get_resources(&mut diags)
            .expect("resources")
            .into_iter()
            .map(|(name, r)| {
                let schema = r.schema(&mut diags).expect("resource schema");
                (format!("{PROVIDER}_{name}"), schema)
            })
            .collect();
        let data_sources = p
            .get_data_sources(&mut diags)
            .expect("data sources")
            .into_iter()
            .map(|(name, d)| {
                let schema = d.schema(&mut diags).expect("data source schema");
                (format!("{PROVIDER}_{name}"), schema)
            })
            .collect();
        assert!(diags.errors.is_empty(), "schema errors: {diags:?}");
        Schemas {
            provider,
            resources,
            data_sources,
        }
    }
}

/// What a page documents.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
}

/// One generated page: its path under `docs/` and its text.
pub struct Page {
    pub path: String,
    pub text: String,
}

/// All pages, in a stable order.
pub fn render_all(repo: &Path, schemas: &Schemas) -> Result<Vec<Page>, String> {
    let mut pages = vec![provider_page(repo, &schemas.provider)?];
    for (name, schema) in &schemas.resources {
        pages.push(object_page(repo, Kind::Resource, name, schema)?);
    }
    for (name, schema) in &schemas.data_sources {
        pages.push(object_page(repo, Kind::DataSource, name, schema)?);
    }
    Ok(pages)
}

/// The page path under `docs/`: the type name without the provider prefix.
pub fn page_path(kind: Kind, name: &str) -> String {
    let short = name.strip_prefix(&format!("{PROVIDER}_")).unwrap_or(name);
    match kind {
        Kind::Provider => "index.md".to_owned(),
        Kind::Resource => format!("resources/{short}.md"),
        Kind::DataSource => format!("data-sources/{short}.md"),
    }
}

fn provider_page(repo: &Path, schema: &Schema) -> Result<Page, String> {
    let template_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docs/templates/index.md.tmpl");
    let template = std::fs::read_to_string(&template_path)
        .map_err(|e| format!("{}: {e}", template_path.display()))?;
    let description = &schema.block.description.content;
    let mut body = template.replace("{{ .Description }}", description.trim());
    body = body.replace("{{ .SchemaMarkdown }}", schema_markdown(schema)?.trim_end());
    body = expand_tffile(repo, &body)?;
    if let Some(at) = body.find("{{") {
        return Err(format!(
            "index.md.tmpl: unknown placeholder at {:?}",
            &body[at..body.len().min(at + 40)]
        ));
    }
    let mut text = front_matter(&format!("{PROVIDER} Provider"), description);
    writeln!(text, "# {PROVIDER} Provider\n").unwrap();
    text.push_str(body.trim());
    text.push('\n');
    Ok(Page {
        path: page_path(Kind::Provider, PROVIDER),
        text,
    })
}

/// `{{ tffile "examples/…" }}`: the file in a `terraform` code block, as tfplugindocs does.
fn expand_tffile(repo: &Path, body: &str) -> Result<String, String> {
    const OPEN: &str = "{{ tffile \"";
    const CLOSE: &str = "\" }}";
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let end = after
            .find(CLOSE)
            .ok_or("index.md.tmpl: unterminated tffile")?;
        let example = read_example(repo, &after[..end])?;
        out.push_str(code_block("terraform", &example).trim_end());
        rest = &after[end + CLOSE.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

fn object_page(repo: &Path, kind: Kind, name: &str, schema: &Schema) -> Result<Page, String> {
    let (label, example_dir, example_file) = match kind {
        Kind::Resource => ("Resource", "resources", "resource.tf"),
        Kind::DataSource => ("Data Source", "data-sources", "data-source.tf"),
        Kind::Provider => unreachable!(),
    };
    let description = &schema.block.description.content;
    let mut text = front_matter(&format!("{name} {label} - {PROVIDER}"), description);
    writeln!(text, "# {name} ({label})\n").unwrap();
    writeln!(text, "{}\n", description.trim()).unwrap();
    let example = read_example(
        repo,
        &format!("examples/{example_dir}/{name}/{example_file}"),
    )?;
    writeln!(
        text,
        "## Example Usage\n\n{}",
        code_block("terraform", &example)
    )
    .unwrap();
    let check = format!("examples/{example_dir}/{name}/check-block.tf");
    if repo.join(&check).is_file() {
        writeln!(
            text,
            "### In a `check` block\n\nWith Terraform 1.5 and later, a [`check` block](https://developer.hashicorp.com/terraform/language/checks) reads it on every plan and apply (and in HCP Terraform's continuous validation) and turns a false assertion, or a failure to read it, into a warning:\n\n{}",
            code_block("terraform", &read_example(repo, &check)?)
        )
        .unwrap();
    }
    text.push_str(&schema_markdown(schema)?);
    if kind == Kind::Resource {
        let dir = format!("examples/{example_dir}/{name}");
        let import_block = read_example(repo, &format!("{dir}/import-by-string-id.tf"))?;
        let import = read_example(repo, &format!("{dir}/import.sh"))?;
        writeln!(
            text,
            "\n## Import\n\nImport is supported using the following syntax:\n\nIn Terraform v1.5.0 and later, the [`import` block](https://developer.hashicorp.com/terraform/language/import) can be used with the `id` attribute, for example:\n\n{}\nThe [`terraform import` command](https://developer.hashicorp.com/terraform/cli/commands/import) can be used, for example:\n\n{}",
            code_block("terraform", &import_block),
            code_block("shell", &import)
        )
        .unwrap();
    }
    let text = format!("{}\n", text.trim_end());
    Ok(Page {
        path: page_path(kind, name),
        text,
    })
}

fn read_example(repo: &Path, rel: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(repo.join(rel)).map_err(|e| {
        format!("{rel}: {e} (every resource and data source needs its examples, see tests/docs/render.rs)")
    })?;
    Ok(text.trim_end().to_owned())
}

fn code_block(lang: &str, body: &str) -> String {
    format!("```{lang}\n{body}\n```\n")
}

/// The YAML front matter of a registry page. `description` is the plain text of the first
/// paragraph of the schema description.
fn front_matter(title: &str, description: &str) -> String {
    let first = description.trim().split("\n\n").next().unwrap_or("");
    let plain = plain_text(first);
    let mut fm = format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n");
    for line in plain.lines() {
        writeln!(fm, "  {line}").unwrap();
    }
    fm.push_str("---\n\n");
    fm
}

/// Markdown to plain text, for front matter: code spans, bold and links lose their markup.
pub fn plain_text(md: &str) -> String {
    let mut out = md.replace("**", "").replace('`', "");
    while let Some(open) = out.find('[') {
        let Some(mid) = out[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(close) = out[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        let label = out[open + 1..mid].to_owned();
        out.replace_range(open..=close, &label);
    }
    out
}

/// The optional nested blocks of a schema (`NestedBlock::Optional` with plain attributes): the
/// only kind the provider uses (`timeouts`), and the only kind rendered.
pub fn optional_blocks(
    schema: &Schema,
) -> Result<BTreeMap<&String, &tf_provider::schema::Block>, String> {
    let mut out = BTreeMap::new();
    for (name, nested) in &schema.block.blocks {
        match nested {
            NestedBlock::Optional(b) if b.blocks.is_empty() => {
                out.insert(name, b);
            }
            _ => {
                return Err(format!(
                    "block `{name}`: only optional blocks of attributes are supported by the docs renderer"
                ))
            }
        }
    }
    Ok(out)
}

/// The `## Schema` section: attributes grouped as Terraform users see them, sorted by name, then
/// one nested section per list-of-object attribute and per optional block.
pub fn schema_markdown(schema: &Schema) -> Result<String, String> {
    let block = &schema.block;
    let blocks = optional_blocks(schema)?;
    let sorted: BTreeMap<&String, &Attribute> = block.attributes.iter().collect();
    let mut out = String::from(
        "<!-- schema generated from the provider's schema by `make docs`; do not edit -->\n## Schema\n",
    );
    let mut nested = String::new();
    for (section, wanted) in [
        ("Required", &[AttributeConstraint::Required][..]),
        (
            "Optional",
            &[
                AttributeConstraint::Optional,
                AttributeConstraint::OptionalComputed,
            ][..],
        ),
        ("Read-Only", &[AttributeConstraint::Computed][..]),
    ] {
        let attrs: Vec<_> = sorted
            .iter()
            .filter(|(_, a)| wanted.contains(&a.constraint))
            .collect();
        if attrs.is_empty() {
            continue;
        }
        writeln!(out, "\n### {section}\n").unwrap();
        for (name, attr) in attrs {
            let d = split_description(name, &attr.description.content)?;
            let mut line = format!("- `{name}` ({}) {}", type_label(attr), d.summary);
            if let Some(fields) = object_fields(&attr.attr_type) {
                if attr.constraint != AttributeConstraint::Computed {
                    return Err(format!(
                        "`{name}`: only read-only lists of objects are supported by the docs renderer"
                    ));
                }
                let anchor = format!("nestedobjatt--{name}");
                write!(line, " (see [below for nested schema](#{anchor}))").unwrap();
                writeln!(
                    nested,
                    "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{name}`\n\nRead-Only:\n"
                )
                .unwrap();
                for (field, t) in fields {
                    let text = d
                        .fields
                        .get(field.as_str())
                        .map(String::as_str)
                        .unwrap_or("");
                    let entry = format!("- `{field}` ({}) {text}", type_name(t));
                    writeln!(nested, "{}", entry.trim_end()).unwrap();
                }
            } else if !d.fields.is_empty() {
                return Err(format!(
                    "`{name}` lists fields but is not a list of objects"
                ));
            }
            writeln!(out, "{line}").unwrap();
        }
        if section == "Optional" {
            for (name, b) in &blocks {
                let anchor = format!("nestedblock--{name}");
                writeln!(
                    out,
                    "- `{name}` (Block, Optional) {} (see [below for nested schema](#{anchor}))",
                    b.description.content.trim()
                )
                .unwrap();
                writeln!(
                    nested,
                    "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{name}`\n\nOptional:\n"
                )
                .unwrap();
                let attrs: BTreeMap<&String, &Attribute> = b.attributes.iter().collect();
                for (field, a) in attrs {
                    let d = split_description(field, &a.description.content)?;
                    writeln!(nested, "- `{field}` ({}) {}", type_label(a), d.summary).unwrap();
                }
            }
        }
    }
    out.push_str(&nested);
    Ok(out)
}

/// An attribute description split by the conventions above.
pub struct SplitDescription {
    pub summary: String,
    pub fields: BTreeMap<String, String>,
}

pub fn split_description(name: &str, md: &str) -> Result<SplitDescription, String> {
    let mut paragraphs = md.trim().split("\n\n");
    let summary = paragraphs.next().unwrap_or("").trim().to_owned();
    if summary.contains('\n') {
        return Err(format!(
            "`{name}`: the first paragraph of a description must be one line"
        ));
    }
    let mut fields = BTreeMap::new();
    for p in paragraphs {
        for line in p.lines() {
            let parsed = line
                .strip_prefix("- `")
                .and_then(|l| l.split_once("`: "))
                .filter(|(f, _)| !f.is_empty() && !f.contains(' '));
            match parsed {
                Some((field, text)) => {
                    fields.insert(field.to_owned(), text.trim().to_owned());
                }
                None => {
                    return Err(format!(
                        "`{name}`: after the first paragraph a description may only list fields as \"- `field`: text\", found {line:?}"
                    ))
                }
            }
        }
    }
    Ok(SplitDescription { summary, fields })
}

/// The fields of a list (or set) of objects, sorted by name.
pub fn object_fields(t: &AttributeType) -> Option<BTreeMap<&String, &AttributeType>> {
    match t {
        AttributeType::List(inner) | AttributeType::Set(inner) => match inner.as_ref() {
            AttributeType::Object(fields) => Some(fields.iter().collect()),
            _ => None,
        },
        _ => None,
    }
}

/// `String, Sensitive` and the like, as tfplugindocs writes them.
pub fn type_label(attr: &Attribute) -> String {
    let mut label = type_name(&attr.attr_type);
    if attr.sensitive {
        label.push_str(", Sensitive");
    }
    if attr.deprecated {
        label.push_str(", Deprecated");
    }
    label
}

pub fn type_name(t: &AttributeType) -> String {
    match t {
        AttributeType::String => "String".into(),
        AttributeType::Number => "Number".into(),
        AttributeType::Bool => "Boolean".into(),
        AttributeType::List(inner) => format!("List of {}", type_name(inner)),
        AttributeType::Set(inner) => format!("Set of {}", type_name(inner)),
        AttributeType::Map(inner) => format!("Map of {}", type_name(inner)),
        AttributeType::Object(_) => "Object".into(),
        AttributeType::Tuple(_) => "Tuple".into(),
        AttributeType::AttributeSingle(_) => "Attributes".into(),
        AttributeType::AttributeList(_) => "Attributes List".into(),
        AttributeType::AttributeSet(_) => "Attributes Set".into(),
        AttributeType::AttributeMap(_) => "Attributes Map".into(),
        AttributeType::Any => "Dynamic".into(),
    }
}
