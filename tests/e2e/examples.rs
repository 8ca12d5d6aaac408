//! Every example under `examples/` is formatted and valid for the real Terraform CLI (each
//! version `make test` runs; `import-by-*.tf`, which hold `import` blocks, and `check-*.tf`,
//! which hold `check` blocks, from Terraform 1.5).
//!
//! `terraform validate` runs on each directory of `.tf` files as one module, with the freshly
//! built provider through `dev_overrides` (no `terraform init`). The registry-layout examples
//! have no `terraform` block, as tfplugindocs expects; they get a `required_providers` file for
//! the check. `examples/with-official-provider` also names ConductorOne's official provider,
//! which cannot be downloaded here: its address is overridden with this provider's binary, which
//! has the same type name and accepts the example's empty provider block, so the check still
//! proves what matters, that every object of this provider is wired with `provider = c1coupa`.

use std::path::{Path, PathBuf};

use testkit::terraform::SOURCE;
use testkit::{terraform, Version, Workdir};

const OFFICIAL: &str = "registry.terraform.io/conductorone/conductorone";

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Directories under `examples/` that hold `.tf` files, sorted.
fn module_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        if entries.iter().any(|p| is_tf(p)) {
            out.push(dir.to_owned());
        }
        for p in entries.iter().filter(|p| p.is_dir()) {
            walk(p, out);
        }
    }
    let mut out = Vec::new();
    walk(&examples_dir(), &mut out);
    out
}

/// The Terraform that brought `import` and `check` blocks: `import-by-*.tf` and `check-*.tf`
/// examples are checked from there.
const IMPORT_BLOCKS: Version = Version(1, 5, 0);

/// An `import-by-*.tf` or `check-*.tf` of the registry layout: an `import` or `check` block,
/// which older Terraform rejects.
fn needs_import_blocks(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("import-by-") || n.starts_with("check-"))
}

fn is_tf(p: &Path) -> bool {
    p.is_file() && p.extension().is_some_and(|e| e == "tf")
}

#[test]
fn examples_are_formatted() {
    let Some(tf) = terraform!() else { return };
    let wd = Workdir::new(&tf);
    let dir = examples_dir();
    let run = wd.run(&[
        "fmt",
        "-check",
        "-diff",
        "-recursive",
        "-no-color",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        run.code,
        0,
        "examples are not formatted; run `make docs` (which runs `terraform fmt -recursive examples`):\n{}",
        run.all()
    );
}

#[test]
fn every_example_validates() {
    let Some(tf) = terraform!() else { return };
    let dirs = module_dirs();
    assert!(dirs.len() >= 7, "examples found: {dirs:?}");
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .strip_prefix(examples_dir())
            .unwrap()
            .display()
            .to_string();
        let wd = Workdir::new(&tf);
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if is_tf(&path) && (!needs_import_blocks(&path) || tf.version() >= IMPORT_BLOCKS) {
                let body = std::fs::read_to_string(&path).unwrap();
                text.push_str(&body);
                std::fs::copy(&path, wd.path().join(path.file_name().unwrap())).unwrap();
            }
        }
        if !text.contains("required_providers") {
            std::fs::write(
                wd.path().join("zz_required_providers.tf"),
                format!("terraform {{\n  required_providers {{\n    conductorone = {{\n      source = \"{SOURCE}\"\n    }}\n  }}\n}}\n"),
            )
            .unwrap();
        }
        if text.contains("\"conductorone/conductorone\"") {
            override_official_provider(&wd);
        }
        let run = wd.validate();
        if run.code != 0 || !run.stdout.contains("The configuration is valid") {
            failures.push(format!("examples/{name}:\n{}", run.all()));
        }
    }
    assert!(
        failures.is_empty(),
        "terraform validate failed:\n{}",
        failures.join("\n")
    );
}

/// Add the official provider's address to the workdir's `dev_overrides`, pointing at this
/// provider's binary (see the module docs).
fn override_official_provider(wd: &Workdir) {
    let config = wd.path().join("dev.tfrc");
    let text = std::fs::read_to_string(&config).unwrap();
    let provider_dir = Path::new(env!("CARGO_BIN_EXE_terraform-provider-conductorone"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    let extra = format!("    \"{OFFICIAL}\" = \"{provider_dir}\"\n");
    let text = text.replacen(
        "dev_overrides {\n",
        &format!("dev_overrides {{\n{extra}"),
        1,
    );
    assert!(text.contains(OFFICIAL), "unexpected CLI config: {text}");
    std::fs::write(config, text).unwrap();
}

#[test]
fn import_example_uses_a_valid_import_id() {
    let dir = examples_dir().join("resources/conductorone_coupa_integration");
    let script = std::fs::read_to_string(dir.join("import.sh")).unwrap();
    let resource_tf = std::fs::read_to_string(dir.join("resource.tf")).unwrap();
    let commands: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("terraform import "))
        .collect();
    assert_eq!(commands.len(), 1, "one `terraform import` line: {script}");
    let words: Vec<&str> = commands[0].split_whitespace().collect();
    let [_, _, address, id] = words[..] else {
        panic!("expected `terraform import ADDRESS ID`: {}", commands[0]);
    };
    let (rtype, name) = address.split_once('.').unwrap();
    assert_eq!(rtype, "conductorone_coupa_integration");
    assert!(
        resource_tf.contains(&format!("resource \"{rtype}\" \"{name}\"")),
        "import.sh imports {address}, which resource.tf does not declare"
    );
    tfp_conductorone::resources::coupa_integration::parse_import_id(id)
        .unwrap_or_else(|e| panic!("import.sh uses an ID the provider rejects: {e}"));

    let block = std::fs::read_to_string(dir.join("import-by-string-id.tf")).unwrap();
    let value = |key: &str| {
        block
            .lines()
            .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == key))
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("no `{key} =` in import-by-string-id.tf: {block}"))
    };
    assert_eq!(
        value("to"),
        address,
        "both import examples name the same resource"
    );
    assert_eq!(value("id"), id, "both import examples use the same ID");
}
