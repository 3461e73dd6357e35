//! No import cycles between the library's modules.
//!
//! A textual scan of `src/**/*.rs` (the binary under `src/bin/` excluded):
//! every path that starts with `crate::`, `$crate::`, `super::` or `self::`,
//! in `use` trees and inline, plus `use child::…` in a module's own file, is
//! resolved to the module it names. Names that a module file re-exports from
//! its children (`pub use engine::diagnose;` in `diagnose/mod.rs`,
//! `pub use error::Error;` in `lib.rs`) resolve to the child that defines
//! them, so a re-export does not hide an edge.
//!
//! Each edge counts at the level where the two paths part: `intake::timer`
//! using `crate::replay::Store` is the edge `intake → replay` between
//! top-level modules; `diagnose::engine` using `super::signature::explain`
//! is `engine → signature` inside `diagnose`. The test fails on a cycle among
//! the siblings of any one module, the crate root included.
//!
//! Left out, on purpose: unit-test modules (`#[cfg(test)] mod tests { … }`
//! and `tests.rs` files): a test may reach into any module without making the
//! library's modules depend on each other. Comments (doc links included) are
//! left out too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module's path from the crate root: `["diagnose", "engine"]`.
type ModPath = Vec<String>;

/// One source file: the module it defines and its code without comments and
/// unit-test modules.
struct Source {
    module: ModPath,
    file: PathBuf,
    code: String,
}

#[test]
fn no_import_cycles_between_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sources = read_sources(&root);
    let modules: BTreeSet<ModPath> = sources.iter().map(|s| s.module.clone()).collect();
    let reexports = reexports(&sources, &modules);
    let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut evidence: BTreeMap<(ModPath, String, String), String> = BTreeMap::new();
    for source in &sources {
        for target in referenced_paths(source, &modules) {
            let target = resolve(target, &reexports);
            let Some((scope, from, to)) = edge(&source.module, &target) else {
                continue;
            };
            let mut to_module = scope.clone();
            to_module.push(to.clone());
            if !modules.contains(&to_module) {
                continue; // an item of the scope's own file, not a sibling module
            }
            graphs
                .entry(scope.clone())
                .or_default()
                .entry(from.clone())
                .or_default()
                .insert(to.clone());
            evidence.entry((scope, from, to)).or_insert_with(|| {
                let file = source.file.strip_prefix(&root).unwrap_or(&source.file);
                format!("src/{} uses crate::{}", file.display(), target.join("::"))
            });
        }
    }
    let found: Vec<(ModPath, Vec<String>)> = graphs
        .iter()
        .flat_map(|(scope, graph)| cycles(graph).into_iter().map(|c| (scope.clone(), c)))
        .collect();
    let known: Vec<(ModPath, Vec<String>)> = KNOWN_CYCLES
        .iter()
        .map(|(scope, members)| (path(scope), members.iter().map(|m| m.to_string()).collect()))
        .collect();
    let new: Vec<String> = found
        .iter()
        .filter(|cycle| !known.contains(cycle))
        .map(|(scope, cycle)| describe(scope, cycle, &evidence))
        .collect();
    assert!(
        new.is_empty(),
        "import cycles between modules:\n{}",
        new.join("\n")
    );
    let gone: Vec<&(ModPath, Vec<String>)> = known
        .iter()
        .filter(|cycle| !found.contains(cycle))
        .collect();
    assert!(
        gone.is_empty(),
        "these cycles are broken: remove them from KNOWN_CYCLES so that they cannot come back: {gone:?}"
    );
}

/// Cycles not broken yet, each with the work that breaks it: (scope, its
/// members sorted). The test fails on any other cycle, and on an entry
/// here that no longer is one (remove it then).
const KNOWN_CYCLES: &[(&str, &[&str])] = &[
    // The framework-free `Verifier` holds the runtime's `IntakeSettings` and
    // `ReplayProtection`, while intake and replay read `VerifiedDelivery`:
    // broken when the runtime parts of a verifier move to the runtime's own
    // type (issue 18, item 6).
    ("", &["intake", "replay", "verifier"]),
];

/// `"a::b"` → `["a", "b"]`; `""` is the crate root.
fn path(text: &str) -> ModPath {
    text.split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The scanner itself finds a cycle it is shown (so that a passing test
/// means no cycle, not a blind scanner).
#[test]
fn the_scan_sees_a_cycle() {
    let modules: BTreeSet<ModPath> = [vec!["a"], vec!["b"], vec!["b", "c"], vec!["b", "d"]]
        .into_iter()
        .map(|m| m.into_iter().map(String::from).collect())
        .collect();
    let source = |module: &[&str], code: &str| Source {
        module: module.iter().map(|s| s.to_string()).collect(),
        file: PathBuf::from(module.join("/")),
        code: strip(code),
    };
    let sources = vec![
        source(&["a"], "use crate::b::{Thing, other::X};\n"),
        source(
            &["b"],
            "pub use c::Thing;\n// crate::a::Hidden in a comment\n",
        ),
        source(
            &["b", "c"],
            "fn f() { crate::a::g(); super::d::h(); }\n#[cfg(test)]\nmod tests {\n    use super::super::d::Z;\n}\n",
        ),
        source(&["b", "d"], "use super::Thing;\n"),
    ];
    let reexports = reexports(&sources, &modules);
    let mut edges = BTreeSet::new();
    for s in &sources {
        for target in referenced_paths(s, &modules) {
            if let Some(e) = edge(&s.module, &resolve(target, &reexports)) {
                edges.insert(e);
            }
        }
    }
    let e = |scope: &[&str], from: &str, to: &str| {
        (
            scope.iter().map(|s| s.to_string()).collect::<ModPath>(),
            from.to_string(),
            to.to_string(),
        )
    };
    assert!(edges.contains(&e(&[], "a", "b")));
    assert!(edges.contains(&e(&[], "b", "a")));
    assert!(edges.contains(&e(&["b"], "c", "d")));
    assert!(edges.contains(&e(&["b"], "d", "c")), "re-export resolved");
    assert_eq!(edges.len(), 4, "{edges:?}");
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert_eq!(cycles(&graph), vec![vec!["a".to_string(), "b".to_string()]]);
}

fn read_sources(root: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    collect_files(root, &mut files);
    files
        .into_iter()
        .filter(|file| file.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|file| {
            let relative = file.strip_prefix(root).expect("under src");
            let mut module: ModPath = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|l| l == "mod" || l == "lib") {
                module.pop();
            }
            let code = strip(&fs::read_to_string(&file).expect("readable source"));
            Source { module, file, code }
        })
        .collect()
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                collect_files(&path, files);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The code without comments and without `#[cfg(test)] mod … { … }` blocks.
fn strip(text: &str) -> String {
    let without_comments: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut code = String::new();
    let mut rest = without_comments.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        code.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        if after.trim_start().starts_with("mod ") {
            let open = after.find(['{', ';']).unwrap_or(after.len());
            rest = if after[open..].starts_with('{') {
                &after[open + matching_brace(&after[open..])..]
            } else {
                &after[open..]
            };
        } else {
            rest = after;
        }
    }
    code.push_str(rest);
    code
}

/// The length of the `{ … }` block `text` starts with.
fn matching_brace(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// Every module path a source refers to, absolute (item names may trail).
fn referenced_paths(source: &Source, modules: &BTreeSet<ModPath>) -> Vec<ModPath> {
    let mut paths = Vec::new();
    for (path, _alias) in use_paths(&source.code) {
        if let Some(absolute) = absolute(&source.module, &path, modules) {
            paths.push(absolute);
        }
    }
    for path in inline_paths(&source.code) {
        if let Some(absolute) = absolute(&source.module, &path, modules) {
            paths.push(absolute);
        }
    }
    paths
}

/// `path` as seen from `module`, made absolute; `None` for an external crate
/// or a local item.
fn absolute(module: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        "crate" | "$crate" => Vec::new(),
        "self" => module.clone(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => {
            let mut child = module.clone();
            child.push(first.clone());
            if !modules.contains(&child) {
                return None;
            }
            child
        }
    };
    let mut rest = rest;
    while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (h.as_str(), t)) {
        base.pop();
        rest = tail;
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    Some(base)
}

/// Every `use` statement's paths, each with the name it binds.
fn use_paths(code: &str) -> Vec<(ModPath, String)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let after = &rest[at + 3..];
        let end = after.find(';').unwrap_or(after.len());
        expand(&after[..end], &mut Vec::new(), &mut found);
        rest = &after[end..];
    }
    found
}

/// The byte offset of `word` standing alone (not inside an identifier).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(at) = text[from..].find(word).map(|i| i + from) {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !before.is_some_and(ident) && after.is_some_and(char::is_whitespace) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Expands a use tree (`a::{b, c::{d, e as f}}`).
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<(ModPath, String)>) {
    if let Some(open) = tree.find('{') {
        let head = segments(&tree[..open]);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let depth = prefix.len();
        prefix.extend(head);
        for part in split_top(inner) {
            expand(part, prefix, out);
        }
        prefix.truncate(depth);
        return;
    }
    let words: Vec<&str> = tree.split_whitespace().collect();
    let (path, alias) = match words.as_slice() {
        [path, "as", alias] => (*path, Some(alias.to_string())),
        _ => (tree, None),
    };
    let mut full = prefix.clone();
    full.extend(segments(path));
    if full.is_empty() {
        return;
    }
    let name = alias.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
    out.push((full, name));
}

/// `a :: b::c` → `["a", "b", "c"]`.
fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Splits at the commas outside braces.
fn split_top(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Paths written inline in code: `crate::a::b`, `super::c`, `self::d`.
fn inline_paths(code: &str) -> Vec<ModPath> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut paths = Vec::new();
    for start in ["$crate::", "crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start).map(|i| i + from) {
            from = at + start.len();
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| ident(c) || c == '$' || c == ':') {
                continue; // inside a longer path or identifier
            }
            let tail: String = code[at..]
                .chars()
                .take_while(|&c| ident(c) || c == ':' || c == '$')
                .collect();
            paths.push(
                tail.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            );
        }
    }
    paths
}

/// For each module with children, the names it imports from a child
/// (`pub use engine::diagnose;` → `diagnose` is `engine`'s), by the module's
/// path.
fn reexports(
    sources: &[Source],
    modules: &BTreeSet<ModPath>,
) -> BTreeMap<ModPath, BTreeMap<String, ModPath>> {
    let mut map: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
    for source in sources {
        for (path, name) in use_paths(&source.code) {
            let Some(target) = absolute(&source.module, &path, modules) else {
                continue;
            };
            let is_child = target.len() > source.module.len()
                && target.starts_with(&source.module)
                && modules.contains(&target[..=source.module.len()].to_vec());
            if is_child {
                map.entry(source.module.clone())
                    .or_default()
                    .insert(name, target);
            }
        }
    }
    map
}

/// A path through re-exports: `crate::Error` → `crate::error::Error`.
fn resolve(mut path: ModPath, reexports: &BTreeMap<ModPath, BTreeMap<String, ModPath>>) -> ModPath {
    for _ in 0..8 {
        let hit = (0..path.len()).find_map(|k| {
            let names = reexports.get(&path[..k])?;
            let target = names.get(&path[k])?;
            let mut resolved = target.clone();
            resolved.extend(path[k + 1..].iter().cloned());
            (resolved != path).then_some(resolved)
        });
        match hit {
            Some(resolved) => path = resolved,
            None => break,
        }
    }
    path
}

/// Where `from` (a module) and `to` (a path) part: the common scope and the
/// two siblings in it. `None` when one contains the other.
fn edge(from: &ModPath, to: &ModPath) -> Option<(ModPath, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    let (from_child, to_child) = (from.get(common)?, to.get(common)?);
    Some((
        from[..common].to_vec(),
        from_child.clone(),
        to_child.clone(),
    ))
}

/// The strongly connected components with more than one node (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, node: &'a str) {
            let i = self.index.len();
            self.index.insert(node, i);
            self.low.insert(node, i);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let at = self
                    .stack
                    .iter()
                    .rposition(|n| *n == node)
                    .expect("on stack");
                let mut component: Vec<String> = self.stack.drain(at..).map(String::from).collect();
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}

fn describe(
    scope: &ModPath,
    cycle: &[String],
    evidence: &BTreeMap<(ModPath, String, String), String>,
) -> String {
    let name = if scope.is_empty() {
        "crate".to_string()
    } else {
        scope.join("::")
    };
    let edges: Vec<String> = evidence
        .iter()
        .filter(|((s, from, to), _)| s == scope && cycle.contains(from) && cycle.contains(to))
        .map(|((_, from, to), why)| format!("    {from} → {to}: {why}"))
        .collect();
    format!(
        "  in {name}: {{{}}}\n{}",
        cycle.join(", "),
        edges.join("\n")
    )
}
