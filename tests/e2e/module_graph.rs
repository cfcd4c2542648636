//! Which module of a crate refers to which, read from the source: enough of Rust's
//! syntax to follow `use` trees and `crate::`/`super::` paths, for the layering tests in
//! `architecture.rs`.
//!
//! A module is named by its path inside the crate (`auth::login`); the crate root is
//! `""`. Test modules (`tests.rs` files and `tests/` folders) are left out: a test may
//! reach anywhere.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// Each module and the modules its code refers to.
#[derive(Debug, Default)]
pub(crate) struct ModuleGraph {
    pub(crate) edges: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleGraph {
    /// Reads every `.rs` file under `src` (the crate's `src/` folder).
    pub(crate) fn of_crate(src: &Path) -> Self {
        let mut files = Vec::new();
        collect_rs_files(src, &mut files);
        let sources: BTreeMap<String, String> = files
            .iter()
            .filter_map(|file| {
                let module = module_of(src, file)?;
                Some((module, std::fs::read_to_string(file).unwrap()))
            })
            .collect();
        let modules: BTreeSet<String> = sources.keys().cloned().collect();
        let reexports = reexports(sources.get("").map(String::as_str).unwrap_or_default(), &modules);
        let mut graph = Self::default();
        for (module, source) in &sources {
            let targets = references(source)
                .into_iter()
                .filter_map(|path| resolve(module, &path, &modules, &reexports))
                .filter(|target| target != module)
                .collect();
            graph.edges.insert(module.clone(), targets);
        }
        graph
    }

    /// The first cycle among the children of `parent` (`""` for the top-level modules),
    /// each child standing for itself and everything below it; references to `parent`
    /// itself or above are not edges. `None` when there is none.
    pub(crate) fn cycle_among_children_of(&self, parent: &str) -> Option<Vec<String>> {
        let child_of = |module: &str| -> Option<String> {
            let rest = if parent.is_empty() { module } else { module.strip_prefix(parent)?.strip_prefix("::")? };
            let first = rest.split("::").next().filter(|first| !first.is_empty())?;
            Some(if parent.is_empty() { first.to_owned() } else { format!("{parent}::{first}") })
        };
        let mut collapsed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &self.edges {
            let Some(from) = child_of(from) else { continue };
            let entry = collapsed.entry(from.clone()).or_default();
            entry.extend(targets.iter().filter_map(|target| child_of(target)).filter(|target| *target != from));
        }
        find_cycle(&collapsed)
    }

    /// Every module that has children (folders with a `mod.rs`, and the crate root).
    pub(crate) fn parents(&self) -> BTreeSet<String> {
        let mut parents = BTreeSet::from([String::new()]);
        for module in self.edges.keys() {
            if let Some((parent, _)) = module.rsplit_once("::") {
                parents.insert(parent.to_owned());
            }
        }
        parents
    }
}

fn collect_rs_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// `src/auth/login.rs` -> `auth::login`, `src/auth/mod.rs` -> `auth`, `src/lib.rs` -> ``;
/// `None` for test modules.
pub(crate) fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?.with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if parts.iter().any(|part| part == "tests") {
        return None;
    }
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    Some(parts.join("::"))
}

/// The crate root's `pub use module::Name` lines: `Name` -> `module`.
fn reexports(root: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for path in use_paths(&strip_comments_and_strings(root)) {
        let segments: Vec<&str> = path.split("::").collect();
        let (Some(name), Some(module)) = (segments.last(), segments.first()) else { continue };
        if segments.len() >= 2 && modules.contains(*module) {
            names.insert((*name).to_owned(), (*module).to_owned());
        }
    }
    names
}

/// Every path a file mentions that starts with `crate` or `super` (whole `use` trees
/// expanded), as written.
pub(crate) fn references(source: &str) -> Vec<String> {
    let code = strip_comments_and_strings(source);
    let mut paths = use_paths(&code);
    let tokens = tokenize(&code);
    for (index, token) in tokens.iter().enumerate() {
        if (token == "crate" || token == "super") && tokens.get(index + 1).is_some_and(|next| next == "::") {
            let mut path = token.clone();
            let mut next = index + 1;
            while tokens.get(next).is_some_and(|t| t == "::")
                && tokens.get(next + 1).is_some_and(|t| t.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                path.push_str("::");
                path.push_str(&tokens[next + 1]);
                next += 2;
            }
            paths.push(path);
        }
    }
    paths
}

/// The module a path written in `module` refers to: the longest prefix that names a
/// module, after `super` and the crate root's re-exports are resolved.
fn resolve(
    module: &str,
    path: &str,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if module.is_empty() { Vec::new() } else { module.split("::").collect() };
    match segments.first() {
        Some(&"crate") => {
            segments.remove(0);
            base.clear();
        }
        Some(&"super") => {
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop()?;
            }
        }
        _ => return None,
    }
    let mut full: Vec<&str> = base.into_iter().chain(segments).collect();
    if full.len() == 1
        && let Some(target) = reexports.get(full[0])
    {
        return Some(target.clone());
    }
    while !full.is_empty() {
        let candidate = full.join("::");
        if modules.contains(&candidate) {
            return Some(candidate);
        }
        full.pop();
    }
    Some(String::new())
}

/// Removes comments and the contents of string and char literals.
fn strip_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !is_ident_char(out.chars().last()) {
            // A raw string: r"...", r#"..."#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next.is_some() && chars.get(i + 2) == Some(&'\'') {
            // A char literal such as 'a' (lifetimes have no closing quote).
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::` and single punctuation characters.
fn tokenize(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".to_owned());
            i += 2;
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens
}

/// Every path imported by a `use` statement, trees expanded (`use a::{b, c::d}` gives
/// `a::b` and `a::c::d`; `self` in a group names the group's prefix).
pub(crate) fn use_paths(code: &str) -> Vec<String> {
    let tokens = tokenize(code);
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" && (i == 0 || tokens[i - 1] != "::") {
            let start = i + 1;
            let mut end = start;
            while end < tokens.len() && tokens[end] != ";" {
                end += 1;
            }
            expand(&tokens[start..end], "", &mut paths);
            i = end;
        }
        i += 1;
    }
    paths
}

fn expand(tokens: &[String], prefix: &str, paths: &mut Vec<String>) {
    // Split the top level on commas, then expand each item.
    let mut depth = 0;
    let mut item_start = 0;
    for (index, token) in tokens.iter().enumerate() {
        match token.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                expand_item(&tokens[item_start..index], prefix, paths);
                item_start = index + 1;
            }
            _ => {}
        }
    }
    expand_item(&tokens[item_start..], prefix, paths);
}

fn expand_item(tokens: &[String], prefix: &str, paths: &mut Vec<String>) {
    let mut path = prefix.to_owned();
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index];
        match token.as_str() {
            "::" => {}
            "{" => {
                let inner = &tokens[index + 1..tokens.len().saturating_sub(1)];
                expand(inner, &path, paths);
                return;
            }
            "as" | "*" => break,
            "pub" | "(" | ")" => {}
            "self" if !path.is_empty() => break,
            name => {
                if !path.is_empty() {
                    path.push_str("::");
                }
                path.push_str(name);
            }
        }
        index += 1;
    }
    if !path.is_empty() {
        paths.push(path);
    }
}

/// A cycle in a directed graph, as the list of its nodes, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        states: &mut BTreeMap<String, State>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match states.get(node) {
            Some(State::Done) => return None,
            Some(State::Visiting) => {
                let start = stack.iter().position(|entry| entry == node).unwrap_or_default();
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        states.insert(node.to_owned(), State::Visiting);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, states, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        states.insert(node.to_owned(), State::Done);
        None
    }
    let mut states = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut states, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_trees_are_expanded() {
        let code = "use crate::{Result, auth::{self, login::Login}, replica::Change as C};\nuse super::*;";
        assert_eq!(
            use_paths(code),
            ["crate::Result", "crate::auth", "crate::auth::login::Login", "crate::replica::Change", "super"]
        );
    }

    #[test]
    fn comments_and_strings_do_not_count() {
        let source = "// crate::a\n/* crate::b */ let s = \"crate::c\"; let x = crate::d::f(); /// [`crate::e`]";
        assert_eq!(references(source), ["crate::d::f"]);
    }

    #[test]
    fn a_loop_between_modules_is_found() {
        let graph = |edges: &[(&str, &str)]| {
            let mut graph = ModuleGraph::default();
            for (from, to) in edges {
                graph.edges.entry((*from).to_owned()).or_default().insert((*to).to_owned());
            }
            graph
        };
        let looped = graph(&[("a", "b::x"), ("b::x", "c"), ("c", "a"), ("d", "a")]);
        assert_eq!(looped.cycle_among_children_of(""), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
        let parent_and_child = graph(&[("a", "a::x"), ("a::x", "a"), ("a::x", "a::y")]);
        assert_eq!(parent_and_child.cycle_among_children_of(""), None, "a module may use its own children");
        assert_eq!(parent_and_child.cycle_among_children_of("a"), None);
        let siblings = graph(&[("a::x", "a::y"), ("a::y", "a::x")]);
        assert!(siblings.cycle_among_children_of("a").is_some());
    }
}
