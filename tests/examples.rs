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

/// Its own app state with `Verified<T>` (`impl FromRef<AppState> for
/// Verifier`), served by a real hyper server with a header-read timeout and
/// a connection cap: a delivery, its replay, a forgery, and a connection
/// stalled in its headers that holds the only slot until the timeout.
#[test]
fn axum_state_serves_its_own_state_with_a_header_timeout_and_a_cap() {
    let output = example::run("axum_state", &["--check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "delivery: 200 (expected 200)",
        "replay: 409 (expected 409)",
        "forgery: 401 (expected 401)",
        "delivery behind a stalled connection: 200 (expected 200)",
        "stalled connection closed by the header-read timeout: true",
        "processed by the handler: 2 (expected 2)",
        "0 failed",
    ] {
        assert!(stdout.contains(line), "missing {line:?}: {stdout}");
    }
}
