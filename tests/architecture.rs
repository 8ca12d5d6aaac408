//! The house rules no compiler checks, as tests, over every crate of the workspace (the members
//! that the root `Cargo.toml` lists: the provider, `crates/standin`, `crates/testkit`,
//! `crates/bench`):
//! - **No import circles.** Inside each crate the modules that refer to each other form a DAG. A
//!   parent re-exporting its children is fine; a child that imports from a parent which imports
//!   it back is a circle, and so are two siblings that import each other. Any path counts, not
//!   only `use` lines: `crate::…`, `super::…` and `self::…` in code. Each source file is one node
//!   (inline modules such as `mod tests { … }` belong to their file); `mod child;` declarations
//!   are not edges (see `architecture/graph.rs`). A failure prints every circle found.
//! - **No `.rs` file over 600 lines**: split a file into modules before it crosses the line.
//! - **One module-file convention**: a module with children is `foo.rs` beside its folder
//!   `foo/`, never `foo/mod.rs`.
//!
//! Each rule is also run on synthetic input, so a checker that sees nothing cannot pass.

// A crate root finds its modules beside it, not in a folder of its name: the path says where.
#[path = "architecture/graph.rs"]
mod graph;

use std::path::{Path, PathBuf};

use graph::{cycles, modules};

/// The longest a source file may be.
const MAX_LINES: usize = 600;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace members, as the root `Cargo.toml` lists them (`members = [".", "crates/…"]`).
fn members() -> Vec<String> {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let list = manifest
        .split_once("members = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("the root Cargo.toml lists its workspace members");
    list.split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn every_crate_of_the_workspace_has_no_import_circles() {
    let members = members();
    assert_eq!(
        members,
        [".", "crates/standin", "crates/testkit", "crates/bench"],
        "a new crate is checked as soon as it is a member; update this list with it"
    );
    for member in &members {
        let src = workspace().join(member).join("src");
        // A crate with a library: its tree is checked; `main.rs` beside it is another crate
        // (the binary), which only uses the library. A binary-only crate: `main.rs` is the root.
        let skip: &[&str] = if src.join("lib.rs").exists() {
            &["main.rs"]
        } else {
            &[]
        };
        check(&src, skip);
    }
}

/// The checker itself finds the circles it is there to find, in a `mod.rs` layout.
#[test]
fn the_checker_sees_circles_through_parents_and_siblings() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write(dir.path(), path, text);
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write(
        "a/mod.rs",
        "mod child;\npub use child::X;\npub fn helper() {}\n",
    );
    write(
        "a/child.rs",
        "use super::helper; // a circle\npub struct X;\nfn f() { let s = \"crate::b\"; }\n",
    );
    write("b.rs", "pub fn g() { crate::a::helper(); }\n");
    let modules = modules(dir.path(), &[]);
    let cycles = cycles(&modules);
    assert_eq!(cycles, vec![vec!["a".to_owned(), "a::child".to_owned()]]);
}

/// … and in a binary crate (`main.rs` as the root, like `crates/bench`), with `foo.rs` beside
/// `foo/`: two siblings, and a child and the crate root.
#[test]
fn the_checker_sees_circles_in_a_binary_crate() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| write(dir.path(), path, text);
    write(
        "main.rs",
        "mod report;\nmod run;\nfn main() { run::go(); }\npub fn shared() {}\n",
    );
    write(
        "run.rs",
        "mod step;\npub fn go() { crate::report::out(); step::s(); }\n",
    );
    write("run/step.rs", "pub fn s() { crate::shared(); }\n");
    write(
        "report.rs",
        "use crate::run::go;\npub fn out() {}\nfn again() { go(); }\n",
    );
    let found = cycles(&modules(dir.path(), &[]));
    assert!(
        found.contains(&vec!["report".to_owned(), "run".to_owned()]),
        "{found:?}"
    );
    assert!(
        found.iter().any(|c| c.contains(&"run::step".to_owned())),
        "the crate root and run::step: {found:?}"
    );
}

fn check(root: &Path, skip: &[&str]) {
    let modules = modules(root, skip);
    assert!(
        modules.len() > 5,
        "no modules found under {}",
        root.display()
    );
    let name = |m: &String| {
        if m.is_empty() {
            "(crate root)".to_owned()
        } else {
            m.clone()
        }
    };
    let found: Vec<String> = cycles(&modules)
        .iter()
        .map(|c| c.iter().map(name).collect::<Vec<_>>().join(" → "))
        .map(|c| format!("  {c} → (back to the first)"))
        .collect();
    assert!(
        found.is_empty(),
        "import circles under {}:\n{}",
        root.display(),
        found.join("\n")
    );
}

#[test]
fn no_source_file_is_over_600_lines() {
    let files = rust_files(workspace());
    assert!(files.len() > 100, "only {} .rs files found", files.len());
    let long = over_the_limit(&files);
    assert!(
        long.is_empty(),
        "split these into modules (at most {MAX_LINES} lines a file):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_line_limit_sees_a_601_line_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/ok.rs", &"// line\n".repeat(MAX_LINES));
    write(
        dir.path(),
        "src/deep/long.rs",
        &"// line\n".repeat(MAX_LINES + 1),
    );
    write(dir.path(), "target/debug/built.rs", &"x\n".repeat(2000));
    let long = over_the_limit(&rust_files(dir.path()));
    assert_eq!(long.len(), 1, "{long:?}");
    assert!(long[0].ends_with("long.rs: 601 lines"), "{long:?}");
}

#[test]
fn modules_with_children_are_files_beside_their_folders() {
    let found = mod_rs_files(&rust_files(workspace()));
    assert!(
        found.is_empty(),
        "`foo/mod.rs` found; the workspace's convention is `foo.rs` beside `foo/`:\n{}",
        found.join("\n")
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", "mod b;\n");
    write(dir.path(), "src/a/b.rs", "");
    write(dir.path(), "src/c/mod.rs", "");
    let synthetic = mod_rs_files(&rust_files(dir.path()));
    assert_eq!(synthetic.len(), 1, "{synthetic:?}");
    assert!(synthetic[0].ends_with("c/mod.rs"), "{synthetic:?}");
}

/// Every `.rs` file under `dir`, but in build output, VCS data and tools (`target`, `.git`,
/// `.tools`).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | ".git" | ".tools") {
                out.extend(rust_files(&path));
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn over_the_limit(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect()
}

fn mod_rs_files(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "mod.rs"))
        .map(|f| f.display().to_string())
        .collect()
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every member names its dependencies from the root's `[workspace.dependencies]`, so the four
/// crates build one version of each.
#[test]
fn every_dependency_comes_from_the_workspace_table() {
    let mut strays = Vec::new();
    for member in members() {
        let manifest = workspace().join(&member).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        strays.extend(
            stray_dependencies(&text)
                .into_iter()
                .map(|line| format!("{}: {line}", manifest.display())),
        );
    }
    assert!(
        strays.is_empty(),
        "give these a row in [workspace.dependencies] and name them with `workspace = true`:\n{}",
        strays.join("\n")
    );
    let synthetic = "[package]\nname = \"x\"\n[dependencies]\n# why\na.workspace = true\nb = { workspace = true, features = [\"f\"] }\nc = \"1\"\n[dev-dependencies]\nd = { path = \"../d\" }\n[workspace.dependencies]\ne = \"1\"\n";
    assert_eq!(
        stray_dependencies(synthetic),
        ["c = \"1\"", "d = { path = \"../d\" }"]
    );
}

/// The lines of `[dependencies]`, `[dev-dependencies]` and `[build-dependencies]` that do not
/// take their dependency from the workspace.
fn stray_dependencies(manifest: &str) -> Vec<String> {
    let mut section = "";
    let mut out = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if matches!(
            section,
            "[dependencies]" | "[dev-dependencies]" | "[build-dependencies]"
        ) && !line.is_empty()
            && !line.starts_with('#')
            && !line.contains(".workspace = true")
            && !line.contains("workspace = true,")
            && !line.contains("{ workspace = true }")
        {
            out.push(line.to_owned());
        }
    }
    out
}
