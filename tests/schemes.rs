//! Every preset, and per-tenant secrets, through the four adapters as real
//! servers on 127.0.0.1 with a real client: a signed delivery is processed
//! once, a tampered one refused, a replay refused (by the signed id for
//! Standard Webhooks, even re-signed with a new timestamp), and a tenant's
//! delivery verifies with its own secrets only.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::routing::post;
use axum::Router;
use common::receivers::{self, payload, Adapter, Script, ADAPTERS};
use common::server::{self, client};
use hookwarden::replay::ReplayProtection;
use hookwarden::scheme::ReplayBasis;
use hookwarden::tenant::{SourceError, TenantFrom};
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{ConfigError, Scheme, Secret, Signer, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The keys a preset is signed and verified with: one secret (raw for
/// most, base64 for Standard Webhooks), or Discord's key pair.
fn keys(scheme: &Scheme) -> (&'static str, &'static str) {
    common::keys::keys_for(
        scheme,
        "whsec_preset-secret",
        "whsec_cHJlc2V0LXNlY3JldC1ieXRlcw==",
    )
}

fn protected(scheme: Scheme, secret: &str) -> Verifier {
    Verifier::builder(scheme)
        .secret(secret)
        .replay_protection(ReplayProtection::in_memory().record_ttl(Duration::from_secs(3600)))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_preset_through_every_adapter() {
    let client = client();
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        let (signing, secret) = keys(&scheme);
        let signer = Signer::new(scheme.clone(), signing).unwrap();
        for adapter in ADAPTERS {
            let script = Script::default();
            let receiver =
                receivers::start(adapter, protected(scheme.clone(), secret), script.clone()).await;
            let id = format!("{name}-{adapter:?}");
            let body = payload(&id);
            let headers = signer.sign(now(), &body).to_header_map();
            let first = receivers::attempt(&client, &receiver.url(), &headers, &body).await;
            assert_eq!(first, (200, String::new()), "{name} {adapter:?}");
            let again = receivers::attempt(&client, &receiver.url(), &headers, &body).await;
            assert_eq!(again, (409, "replayed".into()), "{name} {adapter:?}");
            let mut tampered = body.clone();
            tampered.push(b' ');
            let forged = receivers::attempt(&client, &receiver.url(), &headers, &tampered).await;
            assert_eq!(
                forged,
                (401, "signature_mismatch".into()),
                "{name} {adapter:?}"
            );
            assert_eq!(script.processed(&id), 1, "{name} {adapter:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_webhooks_retry_resigned_later_is_the_same_delivery() {
    let scheme = Scheme::standard_webhooks();
    let (_, secret) = keys(&scheme);
    let signer = Signer::new(scheme.clone(), secret).unwrap();
    let client = client();
    for adapter in ADAPTERS {
        let verifier = Verifier::builder(scheme.clone())
            .secret(secret)
            .replay_protection(ReplayProtection::in_memory())
            .build()
            .unwrap();
        let script = Script::default();
        let receiver = receivers::start(adapter, verifier, script.clone()).await;
        let id = format!("sw-{adapter:?}");
        let body = payload(&id);
        let first = signer.sign_with_id(now() - 20, "msg_1", &body).unwrap();
        let retry = signer.sign_with_id(now(), "msg_1", &body).unwrap();
        assert_ne!(first, retry, "a new timestamp is a new signature");
        let url = receiver.url();
        let ok = receivers::attempt(&client, &url, &first.to_header_map(), &body).await;
        assert_eq!(ok.0, 200, "{adapter:?}");
        let dup = receivers::attempt(&client, &url, &retry.to_header_map(), &body).await;
        assert_eq!(dup, (409, "replayed".into()), "{adapter:?}");
        let other = signer.sign_with_id(now(), "msg_2", &body).unwrap();
        let distinct = receivers::attempt(&client, &url, &other.to_header_map(), &body).await;
        assert_eq!(
            distinct.0, 200,
            "another id is another delivery ({adapter:?})"
        );
        assert_eq!(script.processed(&id), 2);
    }
}

/// GitHub and Shopify send no timestamp: records live as long as the
/// provider may send the same body again (GitHub's redelivery of the past 3
/// days, Shopify's 4 hours of retries), explicit stores included.
#[test]
fn schemes_without_a_timestamp_keep_records_for_their_retry_horizon() {
    for (scheme, days) in [(Scheme::github(), 3), (Scheme::shopify(), 1)] {
        let verifier = Verifier::builder(scheme.clone())
            .secret("s")
            .replay_protection(ReplayProtection::in_memory())
            .build()
            .unwrap();
        let ttl = verifier.replay_protection().unwrap().settings().record_ttl;
        assert_eq!(ttl, Duration::from_secs(days * 86400), "{}", scheme.name());
        let ok = Verifier::builder(scheme)
            .secret("s")
            .replay_protection(ReplayProtection::in_memory().record_ttl(Duration::from_secs(3600)));
        assert!(ok.build().is_ok());
    }
    // Keyed by the signed message without a timestamp: a TTL is required.
    let bare = Scheme::github()
        .into_builder()
        .replay_basis(ReplayBasis::Message)
        .build()
        .unwrap();
    let err = Verifier::builder(bare)
        .secret("s")
        .replay_protection(ReplayProtection::in_memory())
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::ReplayTtlRequired);
}

const TENANT: HeaderName = HeaderName::from_static("x-tenant");

/// Secrets of two tenants, and a switch that makes the source fail.
fn tenant_source(down: Arc<AtomicBool>) -> impl hookwarden::tenant::SecretSource {
    let mut map: HashMap<String, Vec<Secret>> = HashMap::new();
    map.insert(
        "acme".into(),
        vec![
            Secret::from("whsec_acme_new"),
            Secret::from("whsec_acme_old"),
        ],
    );
    map.insert("globex".into(), vec![Secret::from("whsec_globex")]);
    map.insert("umbrella".into(), vec![Secret::from("whsec_umbrella")]);
    move |tenant: &str| {
        if down.load(Ordering::SeqCst) {
            return Err(SourceError::new("secret store unreachable"));
        }
        Ok(map.get(tenant).cloned())
    }
}

fn tenant_headers(secret: &str, tenant: &str, body: &[u8]) -> HeaderMap {
    let mut headers = Signer::new(Scheme::stripe(), secret)
        .unwrap()
        .sign(now(), body)
        .to_header_map();
    headers.insert(TENANT, HeaderValue::from_str(tenant).unwrap());
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_verifies_with_its_own_secrets_only() {
    let client = client();
    for adapter in ADAPTERS {
        let down = Arc::new(AtomicBool::new(false));
        let verifier = Verifier::builder(Scheme::stripe())
            .secret_source(tenant_source(down.clone()), TenantFrom::header(TENANT))
            .replay_protection(ReplayProtection::in_memory())
            .build()
            .unwrap();
        let script = Script::default();
        let receiver = receivers::start(adapter, verifier, script.clone()).await;
        let url = receiver.url();
        let send = |headers: HeaderMap, body: Vec<u8>| {
            let (client, url) = (client.clone(), url.clone());
            async move { receivers::attempt(&client, &url, &headers, &body).await }
        };
        let body = payload(&format!("t-{adapter:?}"));
        // The old secret of acme still verifies (rotation), for acme only.
        let acme = tenant_headers("whsec_acme_old", "acme", &body);
        assert_eq!(send(acme.clone(), body.clone()).await.0, 200, "{adapter:?}");
        let as_globex = tenant_headers("whsec_acme_old", "globex", &body);
        assert_eq!(
            send(as_globex, body.clone()).await,
            (401, "signature_mismatch".into())
        );
        let unknown = tenant_headers("whsec_acme_old", "initech", &body);
        assert_eq!(
            send(unknown, body.clone()).await,
            (401, "signature_mismatch".into())
        );
        let mut missing = acme.clone();
        missing.remove(TENANT);
        assert_eq!(
            send(missing, body.clone()).await,
            (400, "missing_header".into())
        );
        // The same signed message for acme again is a replay.
        assert_eq!(send(acme, body.clone()).await, (409, "replayed".into()));
        // A failing source is retryable; cached tenants keep verifying.
        down.store(true, Ordering::SeqCst);
        let body2 = payload(&format!("t2-{adapter:?}"));
        let umbrella = tenant_headers("whsec_umbrella", "umbrella", &body2);
        let refused = send(umbrella.clone(), body2.clone()).await;
        assert_eq!(refused, (503, "secret_source_unavailable".into()));
        let cached = tenant_headers("whsec_acme_new", "acme", &body2);
        assert_eq!(
            send(cached, body2.clone()).await.0,
            200,
            "acme's keys are cached"
        );
        down.store(false, Ordering::SeqCst);
        assert_eq!(send(umbrella, body2).await.0, 200, "{adapter:?}");
        assert_eq!(script.processed(&format!("t-{adapter:?}")), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_can_come_from_the_path() {
    let verifier = Verifier::builder(Scheme::stripe())
        .secret_source(tenant_source(Arc::default()), TenantFrom::path_segment(1))
        .build()
        .unwrap();
    let app = Router::new().route(
        "/stripe/{tenant}",
        post(|| async { "ok" }).layer(VerifyWebhookLayer::new(verifier)),
    );
    let server = server::serve(app).await;
    let client = client();
    let body = b"{\"id\":\"evt_1\"}".to_vec();
    let headers = tenant_headers("whsec_globex", "ignored", &body);
    let reply = server::post(
        &client,
        &server.url("/stripe/globex"),
        &headers,
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let reply = server::post(&client, &server.url("/stripe/acme"), &headers, body).await;
    assert_eq!(
        (reply.status, reply.code()),
        (401, "signature_mismatch".into())
    );
}

#[cfg(feature = "ed25519")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_webhooks_v1a_through_a_real_server() {
    use base64::Engine as _;
    let seed = [7u8; 32];
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    let b64 = base64::engine::general_purpose::STANDARD;
    let whsk = format!("whsk_{}", b64.encode(seed));
    let whpk = format!("whpk_{}", b64.encode(public.to_bytes()));
    let scheme = Scheme::standard_webhooks();
    let verifier = Verifier::builder(scheme.clone())
        .secret(whpk.as_str())
        .secret("whsec_cHJlc2V0LXNlY3JldC1ieXRlcw==")
        .build()
        .unwrap();
    let script = Script::default();
    let receiver = receivers::start(Adapter::TowerLayer, verifier, script.clone()).await;
    let body = payload("v1a");
    let headers = Signer::new(scheme, whsk.as_str())
        .unwrap()
        .sign(now(), &body)
        .to_header_map();
    let value = headers.get("webhook-signature").unwrap().to_str().unwrap();
    assert!(value.starts_with("v1a,"), "{value}");
    let client = client();
    let ok = receivers::attempt(&client, &receiver.url(), &headers, &body).await;
    assert_eq!(ok.0, 200);
    let mut tampered = body.clone();
    tampered[0] = b' ';
    let forged = receivers::attempt(&client, &receiver.url(), &headers, &tampered).await;
    assert_eq!(forged, (401, "signature_mismatch".into()));
}

/// The catalogue in docs/schemes.md (the `scheme` module's page) has one
/// row per preset, in the order of `Scheme::PRESETS`, and none besides.
#[test]
fn the_catalogue_lists_every_preset() {
    let page = std::fs::read_to_string("docs/schemes.md").unwrap();
    let rows: Vec<String> = page
        .lines()
        .filter_map(|l| l.strip_prefix("| `Scheme::")?.split_once("()`"))
        .map(|(name, _)| name.to_owned())
        .collect();
    let presets: Vec<String> = Scheme::PRESETS
        .iter()
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(rows, presets);
}

/// The in-browser verifier's provider list (the page the CLI serves) offers
/// every preset, in the order of `Scheme::PRESETS`, and marks those without
/// a timestamp.
#[test]
fn the_page_offers_every_preset() {
    let page = std::fs::read_to_string("src/bin/hookwarden/page/index.html").unwrap();
    let options: Vec<(&str, bool)> = page
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<option value=\""))
        .map(|l| {
            (
                l.split('"').next().unwrap(),
                l.contains("data-no-timestamp"),
            )
        })
        .collect();
    let presets: Vec<(&str, bool)> = Scheme::PRESETS
        .iter()
        .map(|p| (*p, Scheme::preset(p).unwrap().timestamp_source().is_none()))
        .collect();
    assert_eq!(options, presets);
}
