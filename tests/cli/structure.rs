//! The shape of `src/` that a newcomer relies on (issue 13): no module imports one that imports
//! it back, nothing under `auth/` reaches the command line (not even through another module),
//! `main.rs` only orchestrates and every subcommand is a file in `commands/`, and every file
//! opens with a module doc saying what it owns. Read from the sources as text, like a reviewer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module as its path under `src/` without `.rs` (`api/http`, `auth`, `main`).
type Module = String;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file by module: `src/api/mod.rs` and `src/api.rs` are both `api`.
fn modules() -> BTreeMap<Module, String> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(src()).unwrap().with_extension("");
            let mut name = rel.to_string_lossy().replace('\\', "/");
            if let Some(parent) = name.strip_suffix("/mod") {
                name = parent.to_string();
            }
            // A checkout with CRLF line ends reads the same.
            let text = std::fs::read_to_string(&p).unwrap().replace("\r\n", "\n");
            (name, text)
        })
        .collect()
}

/// The code a module's users depend on: no comments, no unit tests (they may import anything).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_len(s: &str) -> usize {
    s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// The module paths named after `crate::` in `code`, brace groups spread out
/// (`crate::auth::{paste, pkce}` is `auth::paste` and `auth::pkce`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    fn walk(prefix: &[String], s: &str, out: &mut Vec<Vec<String>>) -> usize {
        // Reads `a::b::{…}` or `a::b` from the start of `s`; returns how much it read.
        let mut path = prefix.to_vec();
        let mut i = 0;
        loop {
            let n = ident_len(&s[i..]);
            if n == 0 {
                if s[i..].starts_with('{') {
                    i += 1;
                    loop {
                        let rest = &s[i..];
                        let skip = rest.len() - rest.trim_start_matches([' ', '\n', ',']).len();
                        i += skip;
                        if s[i..].starts_with('}') {
                            return i + 1;
                        }
                        i += walk(&path, &s[i..], out);
                        // `x as y`: the rest of the item up to its separator.
                        let rest = &s[i..];
                        i += rest.find([',', '}']).unwrap_or(rest.len());
                    }
                }
                break;
            }
            path.push(s[i..i + n].to_string());
            i += n;
            if s[i..].starts_with("::") {
                i += 2;
            } else {
                break;
            }
        }
        out.push(path);
        i
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let read = walk(&[], after, &mut out);
        rest = &after[read.max(1)..];
    }
    out
}

/// The longest prefix of `path` that is a module with a file.
fn resolve(path: &[String], modules: &BTreeMap<Module, String>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("/"))
        .find(|m| modules.contains_key(m))
}

/// Which modules each module uses: its `crate::` paths, its `super::` paths (to items the file
/// does not define itself, as an inline module's `super::` does) and its own children.
fn imports() -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (m, text) in &modules {
        let code = code(text);
        let mut uses = BTreeSet::new();
        for path in crate_paths(&code) {
            uses.extend(resolve(&path, &modules));
        }
        let parent: Vec<String> = m.split('/').map(str::to_string).collect();
        let parent = &parent[..parent.len() - 1];
        for (at, _) in code.match_indices("super::") {
            let after = &code[at + "super::".len()..];
            let item = &after[..ident_len(after)];
            let defined_here = ["fn ", "struct ", "enum ", "const ", "type "]
                .iter()
                .any(|k| code.contains(&format!("{k}{item}")));
            if !defined_here {
                let mut path = parent.to_vec();
                path.push(item.to_string());
                uses.extend(resolve(&path, &modules));
            }
        }
        for child in modules.keys() {
            if let Some(name) = child.strip_prefix(&format!("{m}/"))
                && !name.contains('/')
                && (code.contains(&format!(" {name}::")) || code.contains(&format!("({name}::")))
            {
                uses.insert(child.clone());
            }
        }
        uses.remove(m);
        graph.insert(m.clone(), uses);
    }
    graph
}

fn reachable(graph: &BTreeMap<Module, BTreeSet<Module>>, from: &str) -> BTreeSet<Module> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(m) = stack.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.len() > 40, "{:?}", graph.keys());
    assert!(graph["commands/login"].contains("auth/login"), "{graph:?}");
    let cycles: Vec<String> = graph
        .keys()
        .filter(|m| reachable(&graph, m).contains(*m))
        .map(|m| {
            let back: Vec<&String> = graph[m]
                .iter()
                .filter(|n| reachable(&graph, n).contains(m))
                .collect();
            format!("{m} -> {back:?} -> … -> {m}")
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn nothing_under_auth_reaches_the_command_line() {
    let graph = imports();
    for m in graph.keys().filter(|m| m.starts_with("auth")) {
        let reach = reachable(&graph, m);
        assert!(
            !reach.contains("cli"),
            "{m} reaches cli (through {:?})",
            graph[m]
                .iter()
                .filter(|n| *n == "cli" || reachable(&graph, n).contains("cli"))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn main_only_orchestrates_and_every_subcommand_is_a_file_in_commands() {
    let modules = modules();
    let main = &modules["main"];
    assert!(main.lines().count() < 80, "main.rs has grown");
    let arms: Vec<&str> = main
        .split("match command {")
        .nth(1)
        .expect("main dispatches on the command")
        .lines()
        .take_while(|l| l.trim() != "}")
        .filter(|l| l.contains("=>"))
        .collect();
    assert!(arms.len() >= 10, "{arms:?}");
    for arm in arms {
        let run = arm.split("commands::").nth(1).unwrap_or_else(|| {
            panic!("a subcommand run outside commands/: {arm}");
        });
        let name = &run[..ident_len(run)];
        assert!(modules.contains_key(&format!("commands/{name}")), "{name}");
    }
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    for (m, text) in modules() {
        assert!(text.starts_with("//!"), "{m}.rs does not say what it owns");
    }
}
