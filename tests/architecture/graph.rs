//! The module graph of one crate, read from its source text: which module refers to which, and
//! the circles in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`coupa::client`, `""` for the crate root) → the module paths it refers to.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

pub fn modules(root: &Path, skip: &[&str]) -> Graph {
    let mut files = Vec::new();
    collect(root, root, skip, &mut files);
    let names: BTreeMap<String, PathBuf> = files
        .into_iter()
        .map(|f| (module_of(root, &f), f))
        .collect();
    let known: BTreeSet<String> = names.keys().cloned().collect();
    names
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            let refs = references(module, &strip(&text), &known);
            (module.clone(), refs)
        })
        .collect()
}

fn collect(root: &Path, dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if skip.contains(&rel.as_str()) {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, skip, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    // The crate root (`lib.rs`, or `main.rs` in a binary crate) is the module `""`; a `mod.rs`
    // is its folder's module.
    let root_file = parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main");
    if root_file || parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The text with comments, string and char literals blanked out (braces and all), so that
/// neither a doc link nor a URL in a string counts as a reference, and braces can be counted.
fn strip(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    let at = |i: usize| b.get(i).copied().unwrap_or('\0');
    while i < b.len() {
        let c = b[i];
        if c == '/' && at(i + 1) == '/' {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(at(i + 1), '"' | '#') && (i == 0 || !ident(b[i - 1])) {
            // Raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{7f}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if at(i + 2) == '\'' {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The modules `module`'s file refers to, resolved to the longest known module path.
fn references(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // The module each `{` opened (inline `mod x {`), so `super` inside `mod tests` is the file.
    let mut scope: Vec<Option<String>> = Vec::new();
    let here = |scope: &[Option<String>]| -> Vec<String> {
        let mut path: Vec<String> = split(module);
        path.extend(scope.iter().flatten().cloned());
        path
    };
    let tokens = tokenize(text);
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        match t {
            "{" => {
                let inline = (i >= 2 && tokens[i - 2] == "mod").then(|| tokens[i - 1].clone());
                scope.push(inline);
            }
            "}" => {
                scope.pop();
            }
            "use" => {
                let end = (i..tokens.len())
                    .find(|&j| tokens[j] == ";")
                    .unwrap_or(tokens.len());
                for path in expand(&tokens[i + 1..end]) {
                    if let Some(target) = resolve(&here(&scope), &path, known) {
                        out.insert(target);
                    }
                }
                i = end;
            }
            // A path from here (`crate::…`, `super::…`, `self::…`) or, as Rust 2018 reads
            // `child::item`, from a child module of here.
            first
                if tokens.get(i + 1).map(String::as_str) == Some("::")
                    && (i == 0 || tokens[i - 1] != "::")
                    && (matches!(first, "crate" | "super" | "self")
                        || known.contains(&child(&here(&scope), first))) =>
            {
                let mut path = vec![first.to_owned()];
                let mut j = i + 1;
                while tokens.get(j).map(String::as_str) == Some("::")
                    && tokens.get(j + 1).is_some_and(|n| n.chars().all(ident))
                {
                    path.push(tokens[j + 1].clone());
                    j += 2;
                }
                if let Some(target) = resolve(&here(&scope), &path, known) {
                    out.insert(target);
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.remove(module);
    out
}

fn child(here: &[String], name: &str) -> String {
    let mut path = here.to_vec();
    path.push(name.to_owned());
    path.join("::")
}

fn split(module: &str) -> Vec<String> {
    module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if ident(c) {
            let start = i;
            while i < chars.len() && ident(chars[i]) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The paths of a use tree: `super::{a, b::{c, d}}` → `super::a`, `super::b::c`, `super::b::d`.
fn expand(tokens: &[String]) -> Vec<Vec<String>> {
    fn tree(tokens: &[String], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut path = prefix;
        while *i < tokens.len() {
            match tokens[*i].as_str() {
                "::" => *i += 1,
                "{" => {
                    *i += 1;
                    loop {
                        tree(tokens, i, path.clone(), out);
                        match tokens.get(*i).map(String::as_str) {
                            Some(",") => *i += 1,
                            Some("}") => {
                                *i += 1;
                                break;
                            }
                            _ => break,
                        }
                        if tokens.get(*i).map(String::as_str) == Some("}") {
                            *i += 1;
                            break;
                        }
                    }
                    return;
                }
                "," | "}" => break,
                "as" => *i += 2,
                other => {
                    path.push(other.to_owned());
                    *i += 1;
                }
            }
        }
        out.push(path);
    }
    let mut out = Vec::new();
    let mut i = 0;
    tree(tokens, &mut i, Vec::new(), &mut out);
    out
}

/// The module a path names or names an item of, or `None` for paths outside the crate.
fn resolve(here: &[String], path: &[String], known: &BTreeSet<String>) -> Option<String> {
    let first = path.first()?;
    let (mut abs, mut rest): (Vec<String>, &[String]) = match first.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" | "super" => (here.to_vec(), &path[1..]),
        // `use child::X;`: relative to here when `child` is a module below here.
        name if known.contains(&child(here, name)) => (here.to_vec(), path),
        _ => return None,
    };
    if path[0] == "super" {
        abs.pop();
        while rest.first().map(String::as_str) == Some("super") {
            abs.pop();
            rest = &rest[1..];
        }
    }
    abs.extend(rest.iter().filter(|s| *s != "*" && *s != "self").cloned());
    // Inline modules (`mod tests {}`) are part of their file: the longest known prefix wins.
    (0..=abs.len())
        .rev()
        .map(|n| abs[..n].join("::"))
        .find(|m| known.contains(m))
}

/// Every elementary circle's smallest representative, found by depth-first search from each
/// module (the graphs are small).
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    // Keep each circle once, rotated to start at its smallest module.
                    let min = path.iter().enumerate().min_by_key(|(_, m)| *m).unwrap().0;
                    let mut c = path[min..].to_vec();
                    c.extend_from_slice(&path[..min]);
                    found.insert(c);
                } else if next > start && !path.contains(next) && path.len() < 12 {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found.into_iter().collect()
}
