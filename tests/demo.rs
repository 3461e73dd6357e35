//! The end-to-end demo is part of the test suite: it must pass every row.

use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples next to the test binaries.
fn demo_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("examples");
    let path = dir.join(format!("demo{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}

#[test]
fn demo_passes_every_scenario() {
    let output = match demo_binary() {
        Some(path) => Command::new(path).output(),
        None => Command::new(env!("CARGO"))
            .args(["run", "--quiet", "--example", "demo"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output(),
    }
    .expect("the demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    for scenario in [
        "valid delivery",
        "rotated secret",
        "tampered body",
        "oversized body",
        "large delivery",
    ] {
        assert!(
            stdout.contains(scenario),
            "missing row {scenario}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
}
