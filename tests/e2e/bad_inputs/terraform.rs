//! The bad-input matrix through the real Terraform CLI (`terraform validate`, `plan`,
//! `import`): the error blocks Terraform prints, each on its cell's line.

use testkit::{terraform, Rig, Run, Workdir, COUPA_VARIABLES};

use super::cells::*;
use super::{assert_no_failures, detail_problems, report};

// Through Terraform
// ---------------------------------------------------------------------------------------------

/// An HCL string literal.
fn hcl(v: &str) -> String {
    serde_json::to_string(v)
        .unwrap()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn hcl_value(v: &V) -> String {
    match v {
        V::Str(s) => hcl(s),
        V::List(ids) => format!(
            "[{}]",
            ids.iter().map(|i| hcl(i)).collect::<Vec<_>>().join(", ")
        ),
        // `a` is a resource whose `id` is known only after apply.
        V::Unknown => format!("{UNKNOWN_ID} == \"\" ? \"x\" : \"y\""),
        V::ListWithUnknown => format!("[\"2userA\", {UNKNOWN_ID}]"),
        V::Env(_) => panic!("environment cells have no HCL"),
    }
}

const UNKNOWN_ID: &str = "conductorone_coupa_integration.a.id";

/// `attr = value` lines.
fn lines(attributes: &[(&str, String)]) -> String {
    attributes
        .iter()
        .map(|(k, v)| format!("  {k} = {v}\n"))
        .collect()
}

/// `attr = value` lines: the cell's value over valid defaults.
fn body(defaults: &[(&str, String)], cell: &Cell) -> String {
    let kept: Vec<(&str, String)> = defaults
        .iter()
        .filter(|(k, _)| *k != cell.attr)
        .cloned()
        .collect();
    let mut out = lines(&kept);
    let value = match (&cell.value, cell.attr) {
        (V::Unknown, "user_ids") => format!("{UNKNOWN_ID} == \"\" ? [] : [\"2userA\"]"),
        (v, _) => hcl_value(v),
    };
    out.push_str(&format!("  {} = {value}\n", cell.attr));
    out
}

fn resource_defaults(validate_credentials: bool) -> Vec<(&'static str, String)> {
    let mut d = vec![
        ("app_id", hcl(APP)),
        ("coupa_domain", hcl(DOMAIN)),
        ("client_id", "var.coupa_client_id".to_owned()),
        ("client_secret", "var.coupa_client_secret".to_owned()),
    ];
    if !validate_credentials {
        d.push(("validate_credentials", "false".to_owned()));
    }
    d
}

fn data_defaults() -> Vec<(&'static str, String)> {
    vec![
        ("coupa_domain", hcl(DOMAIN)),
        ("client_id", "var.coupa_client_id".to_owned()),
        ("client_secret", "var.coupa_client_secret".to_owned()),
    ]
}

/// The address Terraform prints in `with …,` for a cell.
fn address(cell: &Cell) -> String {
    match cell.target {
        Target::Provider => format!("provider[\"{}\"].{}", testkit::terraform::SOURCE, cell.name),
        Target::Resource => format!("conductorone_coupa_integration.{}", cell.name),
        Target::Groups => format!("data.conductorone_coupa_groups.{}", cell.name),
        Target::Roles => format!("data.conductorone_coupa_roles.{}", cell.name),
        Target::Env | Target::Import => String::new(),
    }
}

/// HCL for one cell of the validation configuration.
fn block(cell: &Cell) -> String {
    let name = &cell.name;
    match cell.target {
        Target::Provider => {
            // An alias with the bad attribute (the rest comes from the environment), used by a
            // valid data source so that Terraform validates and configures it.
            let value = hcl_value(&cell.value);
            format!(
                "provider \"conductorone\" {{\n  alias = \"{name}\"\n  {} = {value}\n}}\n\ndata \"conductorone_coupa_roles\" \"{name}\" {{\n  provider = conductorone.{name}\n{}}}\n",
                cell.attr,
                lines(&data_defaults()),
            )
        }
        Target::Resource => format!(
            "resource \"conductorone_coupa_integration\" \"{name}\" {{\n{}}}\n",
            body(
                &resource_defaults(matches!(cell.value, V::Unknown) && credential_input(cell.attr)),
                cell
            )
        ),
        Target::Groups => format!(
            "data \"conductorone_coupa_groups\" \"{name}\" {{\n{}}}\n",
            body(&data_defaults(), cell)
        ),
        Target::Roles => format!(
            "data \"conductorone_coupa_roles\" \"{name}\" {{\n{}}}\n",
            body(&data_defaults(), cell)
        ),
        Target::Env | Target::Import => String::new(),
    }
}

/// One `Error:` block of Terraform's output.
struct ErrorBlock {
    summary: String,
    /// The address in `with <address>,`; empty when Terraform printed none.
    address: String,
    /// The attribute name on the source line Terraform quoted (`NN:   attr = …`).
    attr: Option<String>,
    /// What follows the source excerpt: the provider's detail.
    detail: String,
}

fn error_blocks(output: &str) -> Vec<ErrorBlock> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut inside = false;
    for line in output.lines() {
        if let Some(summary) = line.strip_prefix("Error: ") {
            blocks.push(vec![summary]);
            inside = true;
        } else if line.starts_with("Warning: ") {
            inside = false;
        } else if inside {
            blocks.last_mut().unwrap().push(line);
        }
    }
    blocks
        .into_iter()
        .map(|lines| {
            let summary = lines[0].trim().to_owned();
            let address = lines
                .iter()
                .find_map(|l| l.trim().strip_prefix("with "))
                .map(|a| a.trim_end_matches(',').to_owned())
                .unwrap_or_default();
            let mut attr = None;
            let mut detail_from = 1;
            for (i, l) in lines.iter().enumerate() {
                if let Some((num, rest)) = l.trim().split_once(':') {
                    if num.trim().parse::<u32>().is_ok() {
                        attr = rest.split('=').next().map(|a| a.trim().to_owned());
                        detail_from = i + 1;
                    }
                }
            }
            if attr.is_none() {
                // No source excerpt: the detail starts after the first blank line.
                detail_from = lines.iter().position(|l| l.trim().is_empty()).unwrap_or(0) + 1;
            }
            ErrorBlock {
                summary,
                address,
                attr,
                detail: lines[detail_from.min(lines.len())..].join("\n"),
            }
        })
        .collect()
}

/// Problems with what Terraform printed for `cell`: its one error block, on the right line.
fn judge_cli(cell: &Cell, blocks: &[&ErrorBlock]) -> Vec<String> {
    let Expect::Error {
        attr,
        summary,
        hints,
    } = &cell.expect
    else {
        return blocks
            .iter()
            .map(|b| format!("unexpected error {:?}", b.summary))
            .collect();
    };
    if blocks.len() != 1 {
        let all: Vec<&str> = blocks.iter().map(|b| b.summary.as_str()).collect();
        return vec![format!("expected one error block, got {all:?}")];
    }
    let b = blocks[0];
    let mut out = Vec::new();
    if b.summary != *summary {
        out.push(format!("summary {:?}, expected {summary:?}", b.summary));
    }
    if cell.target == Target::Env {
        // Not in the configuration: Terraform points at the provider block, and the message
        // must name the variable (a hint of every environment cell).
        let block = "provider \"conductorone\" {}";
        if b.attr.as_deref() != Some(block) {
            out.push(format!(
                "source line shows {:?}, expected the provider block",
                b.attr
            ));
        }
    } else if !attr.is_empty() && b.attr.as_deref() != Some(attr) {
        // Errors on the whole object (import) have no line; the others point at theirs.
        out.push(format!("source line shows {:?}, expected `{attr}`", b.attr));
    }
    out.extend(detail_problems(cell, &b.detail, hints));
    out
}

fn summary_line(version: testkit::Version, tried: usize, failed: usize, runs: usize) -> String {
    format!(
        "bad-input matrix, Terraform {version} (tests/e2e/bad_inputs/): {tried} inputs tried in {runs} terraform runs (validate, plan, import), {} passed, 0 requests",
        tried - failed
    )
}

#[tokio::test]
async fn matrix_through_terraform() {
    let Some(rig) = Rig::start(terraform!()) else {
        return;
    };
    let standin = &rig.standin;
    let cells = cells();
    let mut failures: Vec<(String, Vec<String>)> = Vec::new();
    let mut tried = 0;
    let mut runs = 0;
    let mut run = |wd: &Workdir, args: &[&str]| -> Run {
        runs += 1;
        let t = std::time::Instant::now();
        let r = wd.run(args);
        if std::env::var_os("MATRIX_DUMP").is_some() {
            eprintln!("terraform {} took {:?}\n{}", args[0], t.elapsed(), r.all());
        }
        r
    };

    // 1. Every provider, resource and data source cell with a known bad value, in one
    //    configuration: `terraform validate` and `terraform plan` must each print exactly one
    //    error per cell, on its line, and nothing else.
    let wd = rig.another_workdir();
    let in_config: Vec<&Cell> = cells
        .iter()
        .filter(|c| {
            matches!(
                c.target,
                Target::Provider | Target::Resource | Target::Groups | Target::Roles
            ) && matches!(c.expect, Expect::Error { .. })
                && !matches!(c.value, V::Unknown)
        })
        .collect();
    let mut main = COUPA_VARIABLES.to_owned();
    for cell in &in_config {
        main.push('\n');
        main.push_str(&block(cell));
    }
    wd.write_main(&main);
    for args in [
        &["validate", "-no-color"][..],
        &["plan", "-input=false", "-no-color"][..],
    ] {
        let out = run(&wd, args);
        out.assert_failed(args[0]);
        let blocks = error_blocks(&out.all());
        for cell in &in_config {
            let addr = address(cell);
            let mine: Vec<&ErrorBlock> = blocks.iter().filter(|b| b.address == addr).collect();
            let problems = judge_cli(cell, &mine);
            if !problems.is_empty() {
                failures.push((format!("{} (terraform {})", cell.name, args[0]), problems));
            }
        }
        let strays: Vec<&str> = blocks
            .iter()
            .filter(|b| !in_config.iter().any(|c| address(c) == b.address))
            .map(|b| b.summary.as_str())
            .collect();
        assert!(strays.is_empty(), "errors outside the matrix: {strays:?}");
    }
    tried += in_config.len();

    // 2. Environment cells: one `terraform plan` each, with a valid data source. Nothing in the
    //    configuration to point at, so the message must name the variable.
    for cell in cells.iter().filter(|c| c.target == Target::Env) {
        let mut wd = rig.another_workdir();
        for (k, v) in env_with(cell) {
            wd.set_env(k, &v);
        }
        wd.env.retain(|(k, _)| {
            !k.starts_with("CONDUCTORONE_") || env_with(cell).iter().any(|(name, _)| name == k)
        });
        // An explicit (empty) provider block: without one, Terraform adds its own "Invalid
        // provider configuration" error to the provider's.
        wd.write_main(&format!(
            "{}\nprovider \"conductorone\" {{}}\n\ndata \"conductorone_coupa_roles\" \"r\" {{\n{}}}\n",
            COUPA_VARIABLES,
            lines(&data_defaults())
        ));
        let out = run(&wd, &["plan", "-input=false", "-no-color"]);
        let blocks = error_blocks(&out.all());
        let all: Vec<&ErrorBlock> = blocks.iter().collect();
        let mut problems = judge_cli(cell, &all);
        if out.code == 0 {
            problems.push("plan succeeded".into());
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform plan)", cell.name), problems));
        }
        tried += 1;
    }

    // 3. Values known only after apply: resources and data sources plan without an error or a
    //    request (the checks wait for the values); a duplicate owner collapses into one.
    let wd = rig.another_workdir();
    let later: Vec<&Cell> = cells
        .iter()
        .filter(|c| {
            matches!(c.target, Target::Resource | Target::Groups | Target::Roles)
                && !matches!(c.expect, Expect::Error { .. })
        })
        .collect();
    let mut main = format!(
        "{}\nresource \"conductorone_coupa_integration\" \"a\" {{\n{}}}\n",
        COUPA_VARIABLES,
        lines(&resource_defaults(false))
    );
    for cell in &later {
        main.push('\n');
        main.push_str(&block(cell));
    }
    wd.write_main(&main);
    let out = run(
        &wd,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    let blocks = error_blocks(&out.all());
    for cell in &later {
        let mine: Vec<&ErrorBlock> = blocks
            .iter()
            .filter(|b| b.address == address(cell))
            .collect();
        let mut problems = judge_cli(cell, &mine);
        if out.code != 2 {
            problems.push(format!("plan exited with {}", out.code));
        }
        if matches!(cell.expect, Expect::Collapsed) {
            let planned = plan_section(&out.stdout, &address(cell));
            if planned.matches("\"2userA\"").count() != 1 {
                problems.push(format!("duplicate owner not collapsed:\n{planned}"));
            }
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform plan)", cell.name), problems));
        }
    }
    assert!(blocks.is_empty(), "{}", out.all());
    tried += later.len();

    //    A provider attribute known only after apply is an error at plan, pointing at it.
    let wd = rig.another_workdir();
    let provider_unknown: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.target == Target::Provider && matches!(c.value, V::Unknown))
        .collect();
    let mut main = format!(
        "{}\nresource \"conductorone_coupa_integration\" \"a\" {{\n{}}}\n",
        COUPA_VARIABLES,
        lines(&resource_defaults(false))
    );
    for cell in &provider_unknown {
        main.push('\n');
        main.push_str(&block(cell));
    }
    wd.write_main(&main);
    let validated = run(&wd, &["validate", "-no-color"]);
    let out = run(&wd, &["plan", "-input=false", "-no-color"]);
    let blocks = error_blocks(&out.all());
    for cell in &provider_unknown {
        let mine: Vec<&ErrorBlock> = blocks
            .iter()
            .filter(|b| b.address == address(cell))
            .collect();
        let mut problems = judge_cli(cell, &mine);
        if validated.code != 0 {
            problems.push(format!("validate failed:\n{}", validated.all()));
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform plan)", cell.name), problems));
        }
    }
    tried += provider_unknown.len();

    // 4. Import IDs: one `terraform import` each.
    let wd = rig.another_workdir();
    wd.write_main(&format!(
        "{}\nresource \"conductorone_coupa_integration\" \"x\" {{\n{}}}\n",
        COUPA_VARIABLES,
        lines(&resource_defaults(false))
    ));
    for cell in cells.iter().filter(|c| c.target == Target::Import) {
        let V::Str(id) = &cell.value else {
            unreachable!()
        };
        let out = run(
            &wd,
            &[
                "import",
                "-input=false",
                "-no-color",
                "conductorone_coupa_integration.x",
                id,
            ],
        );
        let blocks = error_blocks(&out.all());
        let all: Vec<&ErrorBlock> = blocks.iter().collect();
        let mut problems = judge_cli(cell, &all);
        if out.code == 0 {
            problems.push("import succeeded".into());
        }
        if !problems.is_empty() {
            failures.push((format!("{} (terraform import)", cell.name), problems));
        }
        tried += 1;
    }

    let (c1, coupa) = (standin.c1_requests().await, standin.coupa_requests().await);
    assert!(c1.is_empty(), "requests to ConductorOne: {c1:#?}");
    assert!(coupa.is_empty(), "requests to Coupa: {coupa:#?}");
    assert_no_failures("bad-input matrix (Terraform)", &failures);
    report(
        "bad-inputs-terraform.txt",
        &summary_line(rig.tf.version(), tried, failures.len(), runs),
        "",
    );
}

/// The part of a plan about one resource.
fn plan_section<'a>(stdout: &'a str, address: &str) -> &'a str {
    let start = stdout
        .find(&format!("# {address} "))
        .unwrap_or(stdout.len());
    let rest = &stdout[start..];
    let end = rest[1..].find("\n  # ").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}
