//! The examples that check themselves run as part of the suite.

use std::path::PathBuf;
use std::process::Command;

/// `cargo test` builds the examples next to the test binaries.
fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}

#[test]
fn many_providers_receives_four_schemes_on_four_routes() {
    let output = match example("many_providers") {
        Some(path) => Command::new(path).arg("--check").output(),
        None => Command::new(env!("CARGO"))
            .args([
                "run",
                "--quiet",
                "--example",
                "many_providers",
                "--",
                "--check",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output(),
    }
    .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("0 failed"), "{stdout}");
    for route in ["mittr", "mitpo", "stripe", "github"] {
        let rows = stdout.matches(&format!("/webhooks/{route} ")).count();
        assert_eq!(rows, 3, "{route}: {stdout}");
    }
}
