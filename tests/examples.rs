//! The examples that check themselves run as part of the suite.

#[path = "common/example.rs"]
mod example;

#[test]
fn many_providers_receives_four_schemes_on_four_routes() {
    let output = example::run("many_providers", &["--check"]);
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
