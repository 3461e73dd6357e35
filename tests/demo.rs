//! The end-to-end demo is part of the test suite: it must pass every row.

#[path = "common/example.rs"]
mod example;

#[test]
fn demo_passes_every_scenario() {
    let output = example::run("demo", &[]);
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
