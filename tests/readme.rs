//! The quickstarts are complete programs that compile as written: the
//! README's (core, axum, actix-web) and the guides' in `docs/*.md`
//! (providers, replay, tenants).
//!
//! # The mechanism
//!
//! - Every section of `README.md` or of a `docs/*.md` guide whose heading
//!   contains "Quickstart" (down to the next heading of the same or a higher
//!   level) shows one or more ```` ```rust ```` blocks and, beside them, one
//!   ```` ```toml ```` block: the `[dependencies]` a new crate needs for
//!   them. In the guides, which rustdoc includes into module documentation,
//!   the block is ```` ```rust,ignore ```` (rustdoc would run a `main` that
//!   serves forever; the example build below compiles it).
//! - Each ```` ```rust ```` block is, byte for byte, one of the files
//!   `examples/quickstart_<name>.rs`, and each of those files is shown in the
//!   README or a guide. Cargo builds them as examples (`cargo test` compiles every
//!   example; give each an `[[example]]` entry with its `required-features`
//!   in `Cargo.toml`), so a quickstart that stops compiling fails the build.
//!   They are only compiled, never run here: the servers among them bind
//!   127.0.0.1:3000 and run until stopped.
//! - Each ```` ```toml ```` block names only crates this crate depends on
//!   (or `hookwarden` itself), with a version requirement that the version in
//!   `Cargo.lock` satisfies and only features enabled in this build (or
//!   hookwarden's own features), so a page cannot drift from what was
//!   compiled.
//! - `.ci/run` also runs the ignored test here, which builds each quickstart
//!   in a fresh crate with exactly the page's `[dependencies]` (hookwarden
//!   patched to this checkout): what a user pasting them gets.
//!
//! To add a quickstart (a new scheme preset, say): write
//! `examples/quickstart_<name>.rs`, add its `[[example]]` entry, and paste it
//! under a "Quickstart: …" heading with its ```` ```toml ```` block, in the
//! README (only the core and one per adapter: it is a landing page) or in a
//! guide; run `cargo fmt` first, since the page shows the file as formatted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fenced block of the README or a guide, in a Quickstart section.
#[derive(Debug)]
struct Block {
    /// The page and the heading: `README.md: Quickstart: axum`.
    section: String,
    lang: String,
    text: String,
}

/// The fenced blocks of every Quickstart section of `markdown` (the page
/// `page`). A ```` ```rust,ignore ```` block counts as ```` ```rust ````.
fn quickstart_blocks(page: &str, markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section: Option<(usize, String)> = None;
    let mut fence: Option<(String, String)> = None;
    for line in markdown.split_inclusive('\n') {
        if let Some((lang, text)) = &mut fence {
            if line.trim_end() == "```" {
                if let Some((_, heading)) = &section {
                    let lang = lang.strip_suffix(",ignore").unwrap_or(lang);
                    blocks.push(Block {
                        section: format!("{page}: {heading}"),
                        lang: lang.to_owned(),
                        text: std::mem::take(text),
                    });
                }
                fence = None;
            } else {
                text.push_str(line);
            }
        } else if let Some(lang) = line.trim_end().strip_prefix("```") {
            fence = Some((lang.to_owned(), String::new()));
        } else if line.starts_with('#') {
            let level = line.chars().take_while(|&c| c == '#').count();
            let heading = line[level..].trim().to_owned();
            if section.as_ref().is_some_and(|(open, _)| level <= *open) {
                section = None;
            }
            if heading.contains("Quickstart") {
                section = Some((level, heading));
            }
        }
    }
    assert!(fence.is_none(), "{page}: a code block is not closed");
    blocks
}

/// `examples/quickstart_*.rs`, by file name.
fn quickstart_files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("quickstart_") && name.ends_with(".rs") {
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    files
}

/// `README.md` and the guides `docs/*.md`, by path from the root.
fn pages() -> Vec<(String, String)> {
    let mut pages = vec!["README.md".to_owned()];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    pages.sort();
    pages
        .into_iter()
        .map(|page| {
            let text = std::fs::read_to_string(root().join(&page)).unwrap();
            (page, text)
        })
        .collect()
}

fn readme_blocks() -> Vec<Block> {
    pages()
        .iter()
        .flat_map(|(page, text)| quickstart_blocks(page, text))
        .collect()
}

#[test]
fn the_readme_shows_the_core_and_one_quickstart_per_adapter() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let files = quickstart_files();
    let shown: Vec<&String> = quickstart_blocks("README.md", &readme)
        .iter()
        .filter(|b| b.lang == "rust")
        .filter_map(|b| files.iter().find(|(_, text)| **text == b.text))
        .map(|(name, _)| name)
        .collect();
    let names = [
        "quickstart_core.rs",
        "quickstart_axum.rs",
        "quickstart_actix.rs",
    ];
    assert_eq!(shown, names.iter().collect::<Vec<_>>());
    assert!(
        readme.len() <= 16 * 1024,
        "README.md is {} bytes: a landing page stays about 15 KB; move depth to docs/",
        readme.len()
    );
}

#[test]
fn every_quickstart_is_a_compiled_example_byte_for_byte() {
    let files = quickstart_files();
    assert!(files.len() >= 4, "{:?}", files.keys());
    let blocks = readme_blocks();
    let mut shown = Vec::new();
    for block in blocks.iter().filter(|b| b.lang == "rust") {
        let file = files.iter().find(|(_, text)| **text == block.text);
        let Some((name, _)) = file else {
            panic!(
                "a rust block under \"{}\" is no examples/quickstart_*.rs file as it is \
                 (paste the file, formatted, exactly):\n{}",
                block.section, block.text
            );
        };
        shown.push(name.clone());
    }
    for name in files.keys() {
        assert!(
            shown.contains(name),
            "examples/{name} is in neither the README nor a docs/*.md guide"
        );
    }
    let sections: Vec<&str> = blocks.iter().map(|b| b.section.as_str()).collect();
    for section in &sections {
        let has = |lang: &str| {
            blocks
                .iter()
                .any(|b| b.section == *section && b.lang == lang)
        };
        assert!(
            has("rust") && has("toml"),
            "\"{section}\" needs a rust block and its toml block"
        );
    }
}

/// One line of a `[dependencies]` table: `name = "req"` or
/// `name = { version = "req", features = [..], default-features = false }`.
#[derive(Debug)]
struct Dependency {
    name: String,
    req: String,
    features: Vec<String>,
}

fn dependencies(toml: &str) -> Vec<Dependency> {
    let mut lines = toml.lines().filter(|l| !l.trim().is_empty());
    assert_eq!(lines.next(), Some("[dependencies]"), "{toml}");
    lines
        .map(|line| {
            let (name, spec) = line.split_once(" = ").unwrap_or_else(|| panic!("{line}"));
            let quoted = |text: &str| text.trim().trim_matches('"').to_owned();
            let (req, features) = match spec.strip_prefix('{') {
                None => (quoted(spec), Vec::new()),
                Some(table) => {
                    let table = table.trim_end().strip_suffix('}').expect(line);
                    let req = table
                        .split("version = ")
                        .nth(1)
                        .and_then(|rest| rest.split('"').nth(1))
                        .unwrap_or_else(|| panic!("no version: {line}"));
                    let features = table
                        .split_once("features = [")
                        .map(|(_, rest)| rest.split(']').next().unwrap())
                        .map(|list| list.split(',').map(quoted).collect())
                        .unwrap_or_default();
                    (req.to_owned(), features)
                }
            };
            Dependency {
                name: name.trim().to_owned(),
                req,
                features,
            }
        })
        .collect()
}

/// Whether `version` meets the caret requirement `req` (`1`, `0.8`, `1.2.3`).
fn meets(req: &str, version: &str) -> bool {
    let numbers = |text: &str| -> Vec<u64> {
        text.split(['-', '+'])
            .next()
            .unwrap()
            .split('.')
            .map(|n| n.parse().unwrap())
            .collect()
    };
    let (req, version) = (numbers(req), numbers(version));
    // The components up to the first non-zero one must be equal; the rest at least as high.
    let fixed = req
        .iter()
        .position(|&n| n != 0)
        .map_or(req.len(), |i| i + 1);
    req[..fixed] == version[..fixed] && version[..req.len()] >= req[..]
}

/// `cargo metadata` of this crate: its manifest and the resolved build, for
/// this machine's platform only. Unfiltered, cargo would need every
/// platform's crates (Windows-only ones on Linux), which a build here never
/// downloads. Filtered, it needs only what `cargo test` itself fetched, so it
/// uses no network, whatever else the cargo cache holds (and, were a crate
/// missing, cargo would fetch it from the registry rather than fail).
fn metadata() -> Value {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    let version = String::from_utf8(version.stdout).unwrap();
    let host = version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .unwrap_or_else(|| panic!("no host in `rustc -vV`:\n{version}"));
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--all-features"])
        .args(["--filter-platform", host])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn quickstart_dependencies_are_this_crates_with_compatible_versions_and_features() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().unwrap();
    let root_id = metadata["resolve"]["root"].as_str().unwrap();
    let this = packages.iter().find(|p| p["id"] == root_id).unwrap();
    let node = |id: &str| {
        metadata["resolve"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()
            .clone()
    };
    let resolved: Vec<Value> = node(root_id)["deps"].as_array().unwrap().clone();
    for block in readme_blocks().iter().filter(|b| b.lang == "toml") {
        for dependency in dependencies(&block.text) {
            let context = format!("\"{}\": {dependency:?}", block.section);
            if dependency.name == "hookwarden" {
                let version = this["version"].as_str().unwrap();
                assert!(
                    meets(&dependency.req, version),
                    "{context}: this is {version}"
                );
                for feature in &dependency.features {
                    assert!(
                        this["features"].get(feature).is_some(),
                        "{context}: no feature {feature}"
                    );
                }
                continue;
            }
            let declared = this["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == dependency.name.as_str());
            assert!(declared, "{context}: not a dependency of this crate");
            let package = resolved
                .iter()
                .filter_map(|d| packages.iter().find(|p| p["id"] == d["pkg"]))
                .find(|p| p["name"] == dependency.name.as_str())
                .unwrap_or_else(|| panic!("{context}: not in this build"));
            let version = package["version"].as_str().unwrap();
            assert!(
                meets(&dependency.req, version),
                "{context}: this build has {version}"
            );
            let enabled = node(package["id"].as_str().unwrap())["features"].clone();
            for feature in &dependency.features {
                let on = enabled
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == feature.as_str());
                assert!(on, "{context}: feature {feature} is not on in this build");
            }
        }
    }
}

#[test]
fn version_requirements_are_read_as_cargo_reads_them() {
    assert!(meets("0.8", "0.8.7") && !meets("0.8", "0.9.0") && !meets("0.8", "0.7.9"));
    assert!(meets("1", "1.48.0") && !meets("1", "2.0.0"));
    assert!(meets("4", "4.11.0") && meets("0.2", "0.2.0") && !meets("0.2", "0.3.0"));
    assert!(meets("1.2.3", "1.9.0") && !meets("1.2.3", "1.2.2"));
    assert!(meets("0.0.3", "0.0.3") && !meets("0.0.3", "0.0.4"));
}

/// Writes a crate under `target/quickstarts/<name>` whose `Cargo.toml` has
/// exactly the page's `[dependencies]` for the quickstart in `main_rs`.
fn fresh_crate(name: &str, toml: &str, main_rs: &str) -> PathBuf {
    let dir = root().join("target/quickstarts").join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n{toml}\n[patch.crates-io]\nhookwarden = {{ path = {:?} }}\n",
        name.replace('_', "-"),
        root()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

#[test]
#[ignore = "builds each quickstart in a fresh crate (minutes, may download crates); .ci/run runs it"]
fn each_quickstart_builds_in_a_fresh_crate_with_only_the_dependencies_its_page_shows() {
    let blocks = readme_blocks();
    let files = quickstart_files();
    // Each crate on its own (no feature of one leaks into another), all
    // sharing one target directory.
    let workspace = root().join("target/quickstarts");
    std::fs::create_dir_all(&workspace).unwrap();
    let mut members = Vec::new();
    for block in blocks.iter().filter(|b| b.lang == "rust") {
        let (name, _) = files.iter().find(|(_, text)| **text == block.text).unwrap();
        let toml = blocks
            .iter()
            .find(|b| b.section == block.section && b.lang == "toml")
            .unwrap();
        let name = name.trim_end_matches(".rs").to_owned();
        fresh_crate(&name, &toml.text, &block.text);
        members.push(name);
    }
    let target = workspace.join("target");
    for name in &members {
        let manifest = workspace.join(name).join("Cargo.toml");
        let output = Command::new(env!("CARGO"))
            .args(["check", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "{name} does not build with the dependencies its page shows:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
