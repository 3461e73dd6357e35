//! Without the `runtime` feature no replay store exists: a verifier built
//! there logs exactly one `tracing` warning that it has no replay
//! protection, whatever its scheme (saying how exposed the scheme is), and
//! none when the user opted out. Every test
//! binary of this crate has `runtime` (the crate is its own dev-dependency
//! with the adapters), so this builds and runs a small crate
//! (`tests/fixtures/no_runtime.rs`) with `default-features = false,
//! features = ["tracing"]`, offline, on the versions in `Cargo.lock`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/` of this build (the test binary is `target/<profile>/deps/..`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// Writes the fixture crate under `target/no-runtime/`.
fn fixture(root: &Path) -> PathBuf {
    let dir = target_dir().join("no-runtime");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        r#"[package]
name = "hookwarden-no-runtime"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
hookwarden = {{ path = {root:?}, default-features = false, features = ["tracing"] }}
tracing = "0.1"
tracing-subscriber = {{ version = "0.3", default-features = false, features = ["fmt", "std"] }}
"#
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::copy(
        root.join("tests/fixtures/no_runtime.rs"),
        dir.join("src/main.rs"),
    )
    .unwrap();
    dir
}

#[test]
fn without_the_runtime_every_verifier_warns_once_unless_opted_out() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = fixture(root);
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(dir.join("target"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the fixture failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines = stdout.lines();
    let counts: Vec<&str> = lines.by_ref().take(4).collect();
    assert_eq!(
        counts,
        [
            "mitpo 1",
            "mitpo_opted_out 0",
            "mittr 1",
            "mittr_opted_out 0"
        ],
        "{stdout}"
    );
    let warnings: Vec<&str> = lines.collect();
    assert_eq!(warnings.len(), 2, "{stdout}");
    for (warning, verifier, exposure) in [
        (warnings[0], "mitpo", "re-sent at will"),
        (warnings[1], "mittr", "as long as its timestamp is fresh"),
    ] {
        assert!(
            warning.contains("WARN") && warning.contains("no replay protection"),
            "{warning}"
        );
        assert!(
            warning.contains("without_replay_protection")
                && warning.contains(&format!("verifier=\"{verifier}\""))
                && warning.contains(exposure),
            "{warning}"
        );
        assert!(!warning.contains("fixture_secret"), "{warning}");
    }
}
