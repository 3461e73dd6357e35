//! Every table of error codes in the documentation agrees with the one
//! declaration, [`Code`]: the README, `docs/**/*.md`, `src/**/*.md` and the
//! rustdoc (`//!` and `///`) of `src/**/*.rs` are scanned, wherever a table
//! has moved to. A table that lists error codes lists all of them, each
//! once, with its status, and with `Retry-After` exactly where the code
//! carries it (and its seconds, where the table gives them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hookwarden::error::Code;

/// One row of a markdown table: where it is, and its cells.
struct Row {
    at: String,
    cells: Vec<String>,
}

/// The markdown tables of `text` (`doc_only`: of its `//!` and `///` lines).
fn tables(path: &Path, text: &str, doc_only: bool) -> Vec<Vec<Row>> {
    let mut tables = Vec::new();
    let mut current: Vec<Row> = Vec::new();
    let mut fenced = false;
    for (number, line) in text.lines().enumerate() {
        let line = if doc_only { doc_text(line) } else { Some(line) };
        let line = line.map(str::trim);
        if line.is_some_and(|l| l.starts_with("```")) {
            fenced = !fenced;
        }
        match line.filter(|l| !fenced && l.starts_with('|')) {
            Some(l) => current.push(Row {
                at: format!("{}:{}", path.display(), number + 1),
                cells: cells(l),
            }),
            None if !current.is_empty() => tables.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        tables.push(current);
    }
    tables
}

/// The text of a `//!` or `///` line (`None` for any other line).
fn doc_text(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let text = line
        .strip_prefix("//!")
        .or_else(|| line.strip_prefix("///").filter(|t| !t.starts_with('/')))?;
    Some(text.strip_prefix(' ').unwrap_or(text))
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// The `snake_case` words in backticks in `cell`.
fn code_words(cell: &str) -> Vec<&str> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            !w.is_empty()
                && w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .collect()
}

/// The status a cell starts with (`503`, `503 + Retry-After: 5`).
fn status_of(cell: &str) -> Option<u16> {
    let digits = cell.get(..3)?;
    let after = cell[3..].chars().next();
    if digits.bytes().all(|b| b.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// The seconds of a `Retry-After: N` in `text`.
fn retry_seconds(text: &str) -> Option<u64> {
    let rest = text.split("Retry-After:").nth(1)?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn known(word: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.as_str() == word)
}

/// What one code table says, and what is wrong with it.
#[derive(Default)]
struct Listing {
    statuses: BTreeMap<String, u16>,
    problems: Vec<String>,
}

impl Listing {
    fn add(&mut self, row: &Row, word: &str, status: u16) {
        if self.statuses.insert(word.to_owned(), status).is_some() {
            self.problems
                .push(format!("{}: `{word}` listed twice", row.at));
        }
        match known(word) {
            None => self
                .problems
                .push(format!("{}: `{word}` is not a declared code", row.at)),
            Some(code) if code.status().as_u16() != status => self.problems.push(format!(
                "{}: `{word}` is listed with {status}, declared {}",
                row.at,
                code.status().as_u16()
            )),
            Some(_) => {}
        }
    }

    /// A row `| `code` | status [+ Retry-After: N] | … |`.
    fn code_first(&mut self, row: &Row, word: &str, status: u16) {
        self.add(row, word, status);
        let Some(code) = known(word) else { return };
        let rest = row.cells[1..].join(" | ");
        let says_retry = rest.contains("Retry-After");
        let declared = code.retry_after().map(|d| d.as_secs());
        if says_retry != declared.is_some() {
            self.problems.push(format!(
                "{}: `{word}` {} `Retry-After`, but the declaration says {declared:?}",
                row.at,
                if says_retry {
                    "mentions"
                } else {
                    "does not mention"
                },
            ));
        }
        if let Some(seconds) = retry_seconds(&rest) {
            if Some(seconds) != declared {
                self.problems.push(format!(
                    "{}: `{word}` says `Retry-After: {seconds}`, declared {declared:?}",
                    row.at
                ));
            }
        }
    }
}

/// The listing of `table`, when it is a table of error codes (one of its
/// rows names a declared code with a status).
fn listing(table: &[Row]) -> Option<Listing> {
    let mut listing = Listing::default();
    let mut names_a_code = false;
    for row in table.iter().filter(|r| r.cells.len() >= 2) {
        let (first, second) = (&row.cells[0], &row.cells[1]);
        let words = code_words(first);
        if let (Some(status), [word]) = (status_of(second), words.as_slice()) {
            if first == &format!("`{word}`") {
                names_a_code |= known(word).is_some();
                listing.code_first(row, word, status);
                continue;
            }
        }
        if let Some(status) = status_of(first) {
            for word in code_words(second) {
                names_a_code |= known(word).is_some();
                listing.add(row, word, status);
            }
        }
    }
    names_a_code.then_some(listing)
}

/// Every file scanned: `(path, doc comments only)`.
fn sources() -> Vec<(PathBuf, bool)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![(root.join("README.md"), false)];
    for dir in ["docs", "src"] {
        walk(&root.join(dir), &mut files);
    }
    files
}

fn walk(dir: &Path, files: &mut Vec<(PathBuf, bool)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push((path, false));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push((path, true));
        }
    }
}

fn all_tables() -> Vec<Vec<Row>> {
    sources()
        .into_iter()
        .filter_map(|(path, doc_only)| {
            let text = std::fs::read_to_string(&path).ok()?;
            Some(tables(&path, &text, doc_only))
        })
        .flatten()
        .collect()
}

#[test]
fn every_table_of_codes_lists_each_declared_code_with_its_status() {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for table in all_tables() {
        let Some(mut listing) = listing(&table) else {
            continue;
        };
        let at = &table[0].at;
        for code in Code::ALL {
            if !listing.statuses.contains_key(code.as_str()) {
                listing
                    .problems
                    .push(format!("{at}: the table does not list `{code}`"));
            }
        }
        found.push(at.clone());
        problems.append(&mut listing.problems);
    }
    assert!(
        found.len() >= 2,
        "the crate docs' and the rejection's tables at least; found {found:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_metrics_outcome_label_is_documented_as_every_code() {
    let rows: Vec<Row> = all_tables()
        .into_iter()
        .flatten()
        .filter(|r| {
            r.cells
                .first()
                .is_some_and(|c| c == "`hookwarden_deliveries_total`")
        })
        .collect();
    assert!(!rows.is_empty(), "the metrics docs' table has the counter");
    for row in rows {
        let text = row.cells.join(" | ");
        let listed: Vec<&str> = code_words(&text)
            .into_iter()
            .filter(|w| known(w).is_some())
            .collect();
        let all = listed.len() == Code::ALL.len();
        let by_reference = listed.is_empty() && text.contains("Code");
        assert!(
            all || by_reference,
            "{}: the `outcome` label lists {listed:?}: list every code, or refer to `Code`",
            row.at
        );
    }
}

#[test]
fn the_scanner_sees_a_table_that_drifted() {
    let text = "\
/// | code | status | when |
/// |---|---|---|
/// | `missing_header` | 400 | x |
/// | `replayed` | 410 | x |
/// | `in_flight` | 409 | x |
/// | `retired_code` | 400 | x |
";
    let found = tables(Path::new("drift.rs"), text, true);
    assert_eq!(found.len(), 1);
    let problems = listing(&found[0]).expect("a table of codes").problems;
    let problems = problems.join("\n");
    assert!(
        problems.contains("`replayed` is listed with 410"),
        "{problems}"
    );
    assert!(
        problems.contains("`in_flight` does not mention"),
        "{problems}"
    );
    assert!(
        problems.contains("`retired_code` is not a declared"),
        "{problems}"
    );
    let by_status = "| 503 | `overloaded` |\n|---|---|\n| 400 | `missing_header`, `in_flight` |\n";
    let found = tables(Path::new("README.md"), by_status, false);
    let problems = listing(&found[0]).expect("a table of codes").problems;
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`in_flight` is listed with 400")),
        "{problems:?}"
    );
}
