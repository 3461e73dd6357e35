//! Runs one of this crate's examples the way a reader of the README does,
//! through `cargo run`, so that a test never runs a binary left behind by an
//! earlier build (`cargo test --test demo` does not build the examples, and
//! the one in `target/` may predate the code under test). With every feature,
//! as the README's test command builds them: there cargo finds the example
//! up to date and only runs it.

use std::process::{Command, Output};

/// `cargo run --example <name> --all-features -- <args>`, from this crate's directory.
pub fn run(name: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--all-features", "--example", name, "--"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cargo runs the example {name}: {e}"))
}
