//! No tenant takes the in-memory replay store: on a real axum server, a
//! GitHub route with secrets per tenant, tenant "evil" sends more distinct
//! valid deliveries than its share of the store; tenant "victim" is still
//! answered 2xx, and a copy of its delivery sent before the flood is still
//! refused (its record was kept). With the default protection (which
//! forgets when full) evil forgets its own oldest records; with a store
//! that rejects, evil alone is answered 503 `replay_store_full`.
//!
//! The flood is the store's capacity and some (100,100 deliveries, the
//! issue's figure; all but the last 1,100 claimed by hand through the
//! verifier, quicker in a debug build); `TENANT_FLOOD=<n>` sends `n`, all
//! over HTTP (see also `cargo bench --bench tenant_flood`, which does in
//! release).

mod common;

use std::collections::HashMap;
use std::time::Instant;

use axum::routing::post;
use axum::Router;
use common::server::{self, HttpClient, TestServer};
use futures_util::StreamExt;
use hookwarden::replay::{MemoryStore, ReplayProtection, DEFAULT_CAPACITY};
use hookwarden::tenant::TenantFrom;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Secret, Signer, Verifier};

/// The share of one tenant in the default store: a quarter.
const SHARE: usize = DEFAULT_CAPACITY / 4;

/// Deliveries of the default store's flood sent at once.
const CONCURRENCY: usize = 16;

fn secret(tenant: &str) -> String {
    format!("whsec_{tenant}_github")
}

/// A GitHub route with secrets per tenant (`/hooks/github/<tenant>`), its
/// replay protection `replay` (`None`: the default); and its verifier.
async fn serve(replay: Option<ReplayProtection>) -> (TestServer, Verifier) {
    let mut secrets: HashMap<String, Vec<Secret>> = HashMap::new();
    for tenant in ["evil", "victim"] {
        secrets.insert(tenant.into(), vec![Secret::from(secret(tenant))]);
    }
    let builder = Verifier::builder(Scheme::github())
        .name("github-tenants")
        .secret_source(secrets, TenantFrom::path_segment(2));
    let verifier = match replay {
        Some(replay) => builder.replay_protection(replay),
        None => builder,
    }
    .build()
    .unwrap();
    let app = Router::new().route(
        "/hooks/github/{tenant}",
        post(|| async { "ok" }).layer(VerifyWebhookLayer::new(verifier.clone())),
    );
    (server::serve(app).await, verifier)
}

/// `tenant`'s delivery of `body`: its status and error code.
async fn send(
    client: &HttpClient,
    server: &TestServer,
    tenant: &str,
    body: &[u8],
) -> (u16, String) {
    let headers = Signer::new(Scheme::github(), secret(tenant))
        .unwrap()
        .sign_now(body)
        .to_header_map();
    let url = server.url(&format!("/hooks/github/{tenant}"));
    let reply = server::post(client, &url, &headers, body.to_vec()).await;
    let code = if reply.status == 200 {
        String::new()
    } else {
        reply.code()
    };
    (reply.status, code)
}

fn body(tenant: &str, i: usize) -> Vec<u8> {
    format!(r#"{{"action":"opened","tenant":"{tenant}","n":{i}}}"#).into_bytes()
}

/// Evil's deliveries `range`, `concurrency` at a time: each answer, in order.
async fn flood(
    client: &HttpClient,
    server: &TestServer,
    range: std::ops::Range<usize>,
    concurrency: usize,
) -> Vec<(u16, String)> {
    futures_util::stream::iter(range)
        .map(|i| async move { send(client, server, "evil", &body("evil", i)).await })
        .buffered(concurrency)
        .collect()
        .await
}

/// Evil's deliveries `range` verified, claimed and committed by hand, as
/// the server would (quicker than over HTTP in a debug build).
async fn flood_by_hand(verifier: &Verifier, range: std::ops::Range<usize>) {
    let signer = Signer::new(Scheme::github(), secret("evil")).unwrap();
    let replay = verifier.replay_protection().unwrap();
    for i in range {
        let body = body("evil", i);
        let headers = signer.sign_now(&body).to_header_map();
        let delivery = verifier
            .verify_for_path("/hooks/github/evil", &headers, &body)
            .unwrap();
        assert_eq!(delivery.tenant(), Some("evil"));
        let lease = replay.claim(&delivery).await.unwrap().expect("protected");
        lease.commit().await;
        if i % 256 == 0 {
            tokio::task::yield_now().await;
        }
    }
}

/// How many of evil's deliveries are claimed by hand, and how many are sent
/// in all: the capacity and 100 more, the last 1,100 over HTTP; all over
/// HTTP with `TENANT_FLOOD=<n>`.
fn flood_size() -> (usize, usize) {
    match std::env::var("TENANT_FLOOD")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(n) => (0, n),
        None => (DEFAULT_CAPACITY - 1_000, DEFAULT_CAPACITY + 100),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_flood_leaves_the_default_store_to_the_others() {
    let (server, verifier) = serve(None).await;
    let client = server::client();
    let before = body("victim", 0);
    assert_eq!(
        send(&client, &server, "victim", &before).await,
        (200, "".into())
    );

    let (by_hand, n) = flood_size();
    flood_by_hand(&verifier, 0..by_hand).await;
    let started = Instant::now();
    let answers = flood(&client, &server, by_hand..n, CONCURRENCY).await;
    let elapsed = started.elapsed();
    let accepted = answers.iter().filter(|a| a.0 == 200).count();
    println!(
        "tenant evil: {n} distinct deliveries ({} over HTTP in {elapsed:?}), {accepted} answered 200",
        n - by_hand
    );
    assert_eq!(
        accepted,
        n - by_hand,
        "the default store never refuses: {answers:?}"
    );

    // Another tenant: a new delivery passes, and its delivery from before
    // the flood is still remembered.
    let fresh = body("victim", 1);
    assert_eq!(
        send(&client, &server, "victim", &fresh).await,
        (200, "".into())
    );
    assert_eq!(
        send(&client, &server, "victim", &before).await,
        (409, "replayed".into()),
        "victim's record was pushed out by evil's flood"
    );
    assert_eq!(
        send(&client, &server, "victim", &fresh).await,
        (409, "replayed".into())
    );

    // Evil paid for its flood with its own records: its latest are kept,
    // all but its share forgotten (a copy passes again).
    assert_eq!(
        send(&client, &server, "evil", &body("evil", n - 1)).await,
        (409, "replayed".into())
    );
    if n > SHARE + CONCURRENCY {
        let past_its_share = n - SHARE - CONCURRENCY;
        assert_eq!(
            send(&client, &server, "evil", &body("evil", past_its_share)).await,
            (200, "".into()),
            "evil held more than its share"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tenants_flood_is_refused_alone_by_a_rejecting_store() {
    // An explicit store rejects when full, and a tenant at its share: a
    // small one keeps the test quick (its share: 100 records).
    const CAPACITY: usize = 400;
    let (server, _) = serve(Some(ReplayProtection::new(MemoryStore::new(CAPACITY)))).await;
    let client = server::client();
    let before = body("victim", 0);
    assert_eq!(
        send(&client, &server, "victim", &before).await,
        (200, "".into())
    );

    // Enough to fill the whole store, were it not for the share; one at a
    // time, so that the first ones are those recorded.
    let answers = flood(&client, &server, 0..CAPACITY, 1).await;
    let share = CAPACITY / 4;
    for (i, answer) in answers.iter().enumerate() {
        let expected = if i < share {
            (200, String::new())
        } else {
            (503, "replay_store_full".to_owned())
        };
        assert_eq!(*answer, expected, "evil's delivery {i}");
    }

    let fresh = body("victim", 1);
    assert_eq!(
        send(&client, &server, "victim", &fresh).await,
        (200, "".into()),
        "evil's flood took the store"
    );
    assert_eq!(
        send(&client, &server, "victim", &before).await,
        (409, "replayed".into())
    );
    // Nothing was forgotten: evil's first delivery is still refused.
    assert_eq!(
        send(&client, &server, "evil", &body("evil", 0)).await,
        (409, "replayed".into())
    );
}
