//! Which module of a crate refers to which, read from the source: enough of Rust's
//! syntax to follow `use` trees, paths (`crate::`, `super::`, `self::` and a child
//! module's name) and re-exports, for the layering tests in `architecture.rs`.
//!
//! A module is named by its path inside the crate (`auth::login`); the crate root is
//! `""`. Test modules (`tests.rs` files, `tests/` folders, `#[cfg(test)]` inline modules)
//! are left out: a test may reach anywhere.
//!
//! A re-export (`pub use child::Item` in a parent) is not a dependency of the parent: a
//! path through it counts as a reference to the module the item comes from. Everything
//! else a module's code names is: a parent that calls into a child while the child uses
//! something defined in the parent is a loop like any other.
//!
//! Limits: links made only by calling a method defined in another file's `impl` block
//! (`self.helper()`), and macros used without a path, are not seen.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// Each module and the modules its code refers to.
#[derive(Debug, Default)]
pub(crate) struct ModuleGraph {
    pub(crate) edges: BTreeMap<String, BTreeSet<String>>,
}

/// A path written in a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The inline modules (`mod name { ... }`) it is written in.
    pub(crate) inline: Vec<String>,
    pub(crate) segments: Vec<String>,
    /// Re-exported (`pub use`): the name it is re-exported under, which is not a
    /// dependency of the module that re-exports it.
    pub(crate) reexported_as: Option<String>,
}

/// The modules of a crate, and what each re-exports.
struct Crate {
    modules: BTreeSet<String>,
    /// (module, name) -> the module the re-exported item comes from.
    reexports: BTreeMap<(String, String), String>,
}

impl ModuleGraph {
    /// Reads every `.rs` file under `src` (the crate's `src/` folder).
    pub(crate) fn of_crate(src: &Path) -> Self {
        let mut files = Vec::new();
        collect_rs_files(src, &mut files);
        let sources: BTreeMap<String, Vec<Reference>> = files
            .iter()
            .filter_map(|file| {
                let module = module_of(src, file)?;
                Some((module, references(&std::fs::read_to_string(file).unwrap())))
            })
            .collect();
        let mut krate = Crate { modules: sources.keys().cloned().collect(), reexports: BTreeMap::new() };
        // Re-exports name other re-exports (lib.rs re-exports what auth/mod.rs does): a
        // few passes settle them.
        for _ in 0..4 {
            for (module, references) in &sources {
                for reference in references {
                    let Some(name) = &reference.reexported_as else { continue };
                    if let Some(target) = krate.resolve(module, reference) {
                        krate.reexports.insert((module.clone(), name.clone()), target);
                    }
                }
            }
        }
        let mut graph = Self::default();
        for (module, references) in &sources {
            let targets = references
                .iter()
                .filter(|reference| reference.reexported_as.is_none())
                .filter_map(|reference| krate.resolve(module, reference))
                .filter(|target| target != module)
                .collect();
            graph.edges.insert(module.clone(), targets);
        }
        graph
    }

    /// The first cycle among `parent` (its own code, `""` for the crate root) and its
    /// children, each child standing for itself and everything below it. `None` when
    /// there is none.
    pub(crate) fn cycle_among_children_of(&self, parent: &str) -> Option<Vec<String>> {
        let node_of = |module: &str| -> Option<String> {
            if module == parent {
                return Some(parent.to_owned());
            }
            let rest = if parent.is_empty() { module } else { module.strip_prefix(parent)?.strip_prefix("::")? };
            let first = rest.split("::").next().filter(|first| !first.is_empty())?;
            Some(if parent.is_empty() { first.to_owned() } else { format!("{parent}::{first}") })
        };
        let mut collapsed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &self.edges {
            let Some(from) = node_of(from) else { continue };
            let entry = collapsed.entry(from.clone()).or_default();
            entry.extend(targets.iter().filter_map(|target| node_of(target)).filter(|target| *target != from));
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

impl Crate {
    /// The module a reference written in `module` leads to: the longest prefix of its
    /// absolute path that is a module, followed through re-exports. `None` for paths
    /// outside the crate (other crates, types such as `Self::`).
    fn resolve(&self, module: &str, reference: &Reference) -> Option<String> {
        let mut base: Vec<String> =
            if module.is_empty() { Vec::new() } else { module.split("::").map(str::to_owned).collect() };
        base.extend(reference.inline.iter().cloned());
        let mut segments = reference.segments.clone();
        match segments.first().map(String::as_str) {
            Some("crate") => {
                segments.remove(0);
                base.clear();
            }
            Some("super") => {
                while segments.first().map(String::as_str) == Some("super") {
                    segments.remove(0);
                    base.pop()?;
                }
            }
            Some("self") => {
                segments.remove(0);
            }
            Some(first) => {
                // A child module's name, or something outside the crate.
                let child = base.iter().cloned().chain([first.to_owned()]).collect::<Vec<_>>().join("::");
                if !self.modules.contains(&child) {
                    return None;
                }
            }
            None => return None,
        }
        let full: Vec<String> = base.into_iter().chain(segments).collect();
        let mut length = full.len();
        while length > 0 && !self.modules.contains(&full[..length].join("::")) {
            length -= 1;
        }
        let found = full[..length].join("::");
        match full.get(length) {
            Some(name) => Some(self.reexports.get(&(found.clone(), name.clone())).cloned().unwrap_or(found)),
            None => Some(found),
        }
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

const KEYWORDS_BEFORE_A_PATH_SEGMENT: &[&str] = &["::", ".", "'"];

/// Every path a file's code mentions that may lead into the crate: `use` trees expanded,
/// and paths of two or more segments (`crate::a::f`, `child::Type`).
pub(crate) fn references(source: &str) -> Vec<Reference> {
    let tokens = tokenize(&strip_comments_and_strings(source));
    let mut found = Vec::new();
    // The inline modules we are in, with the brace depth at which each closes.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut index = 0;
    let names = |inline: &[(String, usize)]| inline.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    while index < tokens.len() {
        let token = tokens[index].as_str();
        let next = tokens.get(index + 1).map(String::as_str);
        match token {
            "mod" if tokens.get(index + 2).is_some_and(|t| t == "{") => {
                let name = next.unwrap_or_default().to_owned();
                if name == "tests" || preceded_by_cfg_test(&tokens, index) {
                    index = matching_brace(&tokens, index + 2) + 1;
                    continue;
                }
                depth += 1;
                inline.push((name, depth));
                index += 3;
                continue;
            }
            "{" => depth += 1,
            "}" => {
                if inline.last().is_some_and(|(_, closes)| *closes == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            // `use<..>` in a return type is precise capturing, not an import.
            "use" if (index == 0 || tokens[index - 1] != "::") && next != Some("<") => {
                let end = tokens[index..].iter().position(|t| t == ";").map_or(tokens.len(), |at| index + at);
                let public = is_public(&tokens[..index]);
                let mut paths = Vec::new();
                expand(&tokens[index + 1..end], &[], &mut paths);
                for (segments, alias) in paths {
                    let reexported_as = public.then(|| alias.or_else(|| segments.last().cloned())).flatten();
                    found.push(Reference { inline: names(&inline), segments, reexported_as });
                }
                index = end;
                continue;
            }
            _ if is_identifier(token)
                && next == Some("::")
                && !(index > 0 && KEYWORDS_BEFORE_A_PATH_SEGMENT.contains(&tokens[index - 1].as_str())) =>
            {
                let mut segments = vec![token.to_owned()];
                let mut at = index + 1;
                while tokens.get(at).is_some_and(|t| t == "::") && tokens.get(at + 1).is_some_and(|t| is_identifier(t))
                {
                    segments.push(tokens[at + 1].clone());
                    at += 2;
                }
                found.push(Reference { inline: names(&inline), segments, reexported_as: None });
                index = at;
                continue;
            }
            _ => {}
        }
        index += 1;
    }
    found
}

fn is_identifier(token: &str) -> bool {
    token.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && token.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Whether the item that starts after `before` is `pub` (in any form).
fn is_public(before: &[String]) -> bool {
    let mut at = before.len();
    // Skip a visibility restriction: pub ( crate ) / pub ( in a :: b ).
    if at > 0 && before[at - 1] == ")" {
        while at > 0 && before[at - 1] != "(" {
            at -= 1;
        }
        at = at.saturating_sub(1);
    }
    at > 0 && before[at - 1] == "pub"
}

/// Whether `#[cfg(test)]` stands right before the `mod` at `index`.
fn preceded_by_cfg_test(tokens: &[String], index: usize) -> bool {
    let attribute = ["#", "[", "cfg", "(", "test", ")", "]"];
    index >= attribute.len() && tokens[index - attribute.len()..index].iter().zip(attribute).all(|(t, a)| t == a)
}

/// The index of the `}` that closes the `{` at `open`.
fn matching_brace(tokens: &[String], open: usize) -> usize {
    let mut depth = 0;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match token.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Removes comments and the contents of string and char literals.
fn strip_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_identifier = |out: &String| out.chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_');
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
        } else if let Some(end) = raw_string_end(&chars, i).filter(|_| !after_identifier(&out)) {
            out.push_str("\"\"");
            i = end;
        } else if c == '"' || (c == 'b' && next == Some('"') && !after_identifier(&out)) {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // An escaped char literal: '\n', '\'', '\u{1F600}'.
            i += 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && next.is_some() && chars.get(i + 2) == Some(&'\'') {
            // A char literal such as 'a' (lifetimes have no closing quote).
            out.push_str("' '");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where a raw string (`r"..."`, `r#"..."#`, `br"..."`) starting at `i` ends, if one does.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
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

/// Expands a `use` tree (the tokens after `use`) into (path, alias) pairs.
fn expand(tokens: &[String], prefix: &[String], paths: &mut Vec<(Vec<String>, Option<String>)>) {
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

fn expand_item(tokens: &[String], prefix: &[String], paths: &mut Vec<(Vec<String>, Option<String>)>) {
    if tokens.is_empty() {
        // After a trailing comma.
        return;
    }
    let mut path = prefix.to_vec();
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
            "as" => {
                let alias = tokens.get(index + 1).filter(|alias| *alias != "_").cloned();
                paths.push((path, alias));
                return;
            }
            "*" => break,
            "self" if !path.is_empty() => break,
            name => path.push(name.to_owned()),
        }
        index += 1;
    }
    if !path.is_empty() {
        paths.push((path, None));
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

    fn paths(source: &str) -> Vec<(String, Option<String>)> {
        references(source)
            .into_iter()
            .map(|reference| (reference.segments.join("::"), reference.reexported_as))
            .collect()
    }

    #[test]
    fn use_trees_are_expanded_and_reexports_named() {
        let code =
            "use crate::{Result, auth::{self, login::Login}, replica::Change as C,};\npub(crate) use self::a::B;";
        assert_eq!(
            paths(code),
            [
                ("crate::Result".into(), None),
                ("crate::auth".into(), None),
                ("crate::auth::login::Login".into(), None),
                ("crate::replica::Change".into(), None),
                ("self::a::B".into(), Some("B".into())),
            ]
        );
        assert_eq!(paths("pub use inner::Thing as Other;"), [("inner::Thing".into(), Some("Other".into()))]);
    }

    #[test]
    fn comments_strings_and_method_paths_do_not_count() {
        let source = "// crate::a\n/* crate::b */ let s = \"crate::c\"; let r = br\"x\\ crate::g\"; \
                      let q = '\\''; let x = crate::d::f(); /// [`crate::e`]\nlet v = Vec::<u8>::new();";
        let found = paths(source);
        assert!(found.contains(&("crate::d::f".into(), None)), "{found:?}");
        assert!(!found.iter().any(|(path, _)| {
            ["crate::a", "crate::b", "crate::c", "crate::e", "crate::g"].iter().any(|hidden| path.starts_with(hidden))
        }));
    }

    #[test]
    fn inline_and_test_modules_are_followed_or_skipped() {
        let inline = "mod prelude { pub use super::a::B; }\n#[cfg(test)]\nmod checks { use crate::x; }\nuse super::c;";
        let found = references(inline);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].inline, ["prelude"]);
        assert_eq!(found[1].segments, ["super", "c"]);
    }

    fn graph(edges: &[(&str, &str)]) -> ModuleGraph {
        let mut graph = ModuleGraph::default();
        for (from, to) in edges {
            graph.edges.entry((*from).to_owned()).or_default().insert((*to).to_owned());
        }
        graph
    }

    #[test]
    fn a_loop_between_modules_is_found() {
        let looped = graph(&[("a", "b::x"), ("b::x", "c"), ("c", "a"), ("d", "a")]);
        assert_eq!(looped.cycle_among_children_of(""), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
        let siblings = graph(&[("a::x", "a::y"), ("a::y", "a::x")]);
        assert!(siblings.cycle_among_children_of("a").is_some());
    }

    #[test]
    fn a_parent_and_a_child_that_use_each_other_are_a_loop() {
        let mutual = graph(&[("a", "a::x"), ("a::x", "a")]);
        assert!(mutual.cycle_among_children_of("a").is_some());
        let through_the_root = graph(&[("openapi", ""), ("", "routes"), ("routes", "openapi")]);
        assert!(through_the_root.cycle_among_children_of("").is_some());
        let one_way = graph(&[("a::x", "a"), ("a::x", "a::y")]);
        assert_eq!(one_way.cycle_among_children_of("a"), None, "children may use their parent");
    }

    #[test]
    fn reexports_lead_to_where_an_item_comes_from() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        std::fs::create_dir_all(src.join("auth")).unwrap();
        std::fs::write(src.join("lib.rs"), "mod auth;\npub use auth::Login;").unwrap();
        std::fs::write(src.join("auth/mod.rs"), "mod login;\nmod password;\npub use self::login::Login;").unwrap();
        std::fs::write(src.join("auth/login.rs"), "pub struct Login;").unwrap();
        std::fs::write(src.join("auth/password.rs"), "use super::Login;\nfn f() { crate::Login; }").unwrap();
        let graph = ModuleGraph::of_crate(src);
        assert_eq!(graph.edges["auth::password"], BTreeSet::from(["auth::login".to_owned()]));
        assert!(graph.edges[""].is_empty(), "re-exports are not dependencies: {:?}", graph.edges[""]);
        assert!(graph.edges["auth"].is_empty());
    }
}
