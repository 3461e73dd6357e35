//! MITPO's typed events (feature `serde`) through real servers, and the
//! opt-in check of the unsigned `X-MITPO-Event` header against the signed
//! payload's `event`, through each adapter.

mod common;

use std::net::SocketAddr;

use axum::routing::post;
use axum::{Json, Router};
use common::receivers::{self, Script, ADAPTERS};
use common::server;
use hookwarden::mitpo::{Data, Event};
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, Signer, Verifier};
use serde_json::{json, Value};

const SECRET: &str = "whsec_mitpo_events";

const DOCUMENTED: &[u8] = br#"{
  "event": "dispatch.completed",
  "timestamp": "2026-03-22T10:30:00Z",
  "data": {
    "dispatch_id": "dsp_a1b2c3d4",
    "channel": "meta_ads",
    "status": "completed",
    "provider_resource_id": "23851234567890"
  }
}"#;

const UNKNOWN: &[u8] = br#"{"event":"billing.updated","timestamp":"2026-03-22T10:31:00+01:00",
  "data":{"plan":"pro"},"delivery":"dlv_9"}"#;

fn verifier() -> Verifier {
    Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .build()
        .unwrap()
}

/// Signed as MITPO signs: the body; the event header beside it, unsigned.
fn signed(body: &[u8], event_header: Option<&str>) -> http::HeaderMap {
    let mut headers = Signer::new(Scheme::mitpo(), SECRET)
        .unwrap()
        .sign_now(body)
        .to_header_map();
    if let Some(event) = event_header {
        headers.insert("x-mitpo-event", event.parse().unwrap());
    }
    headers.insert("content-type", "application/json".parse().unwrap());
    headers
}

/// What a handler saw of an event.
fn summary(event: &Event) -> Value {
    let dispatch_id = match &event.data {
        Data::DispatchCompleted(dispatch) => Some(dispatch.dispatch_id.clone()),
        _ => None,
    };
    json!({
        "event": event.event_type(),
        "dispatch_id": dispatch_id,
        "unix": event.timestamp.unix_seconds(),
        "extra": event.extra,
    })
}

async fn start_axum() -> SocketAddr {
    use hookwarden::axum::Verified;
    let app = Router::new()
        .route(
            "/extractor",
            post(
                |Verified {
                     body: Json(event),
                     ack,
                     ..
                 }: Verified<Json<Event>>| async move {
                    ack.commit().await;
                    Json(summary(&event))
                },
            ),
        )
        .route(
            "/layer",
            post(|Json(event): Json<Event>| async move { Json(summary(&event)) })
                .layer(VerifyWebhookLayer::new(verifier())),
        )
        .with_state(verifier());
    server::serve(app).await.addr
}

fn start_actix() -> (SocketAddr, actix_web::dev::ServerHandle) {
    use actix_web::{web, App, HttpServer};
    use hookwarden::actix::{Verified, VerifyWebhookLayer};

    async fn extractor(verified: Verified<web::Json<Event>>) -> web::Json<Value> {
        verified.ack.commit().await;
        web::Json(summary(&verified.body))
    }
    async fn middleware(event: web::Json<Event>) -> web::Json<Value> {
        web::Json(summary(&event))
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(verifier()))
                    .route("/extractor", web::post().to(extractor))
                    .service(
                        web::scope("/middleware")
                            .wrap(VerifyWebhookLayer::new(verifier()))
                            .route("", web::post().to(middleware)),
                    )
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        });
    });
    (addr, rx.recv().unwrap())
}

#[tokio::test]
async fn typed_events_through_axum_and_actix() {
    let axum = start_axum().await;
    let (actix, _stop) = start_actix();
    let client = server::client();
    for url in [
        format!("http://{axum}/extractor"),
        format!("http://{axum}/layer"),
        format!("http://{actix}/extractor"),
        format!("http://{actix}/middleware"),
    ] {
        let reply = server::post(&client, &url, &signed(DOCUMENTED, None), DOCUMENTED).await;
        assert_eq!(reply.status, 200, "{url}: {reply:?}");
        assert_eq!(
            reply.json(),
            json!({"event": "dispatch.completed", "dispatch_id": "dsp_a1b2c3d4",
                   "unix": 1_774_175_400, "extra": {}}),
            "{url}"
        );
        let reply = server::post(&client, &url, &signed(UNKNOWN, None), UNKNOWN).await;
        assert_eq!(reply.status, 200, "{url}: {reply:?}");
        assert_eq!(
            reply.json(),
            json!({"event": "billing.updated", "dispatch_id": null,
                   "unix": 1_774_175_460 - 3600, "extra": {"delivery": "dlv_9"}}),
            "{url}: an unknown event and field are kept"
        );
    }
}

/// A test payload with an `id` (for the receivers' ledger) and an `event`.
fn payload(id: &str, event: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "event": event, "id": id })).unwrap()
}

fn strict() -> Verifier {
    Verifier::builder(Scheme::mitpo())
        .secret(SECRET)
        .require_event_match()
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_header_that_contradicts_the_signed_event_is_refused_by_every_adapter() {
    for adapter in ADAPTERS {
        let script = Script::default();
        let receiver = receivers::start(adapter, strict(), script.clone()).await;
        let client = server::client();
        let url = receiver.url();
        let body = payload("changed", json!("dispatch.failed"));

        let forged = signed(&body, Some("dispatch.completed"));
        let reply = server::post(&client, &url, &forged, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (400, "event_mismatch"),
            "{adapter:?}: {reply:?}"
        );
        assert_eq!(
            reply.json()["message"],
            "the unsigned `x-mitpo-event` header names the event `dispatch.completed`, but \
             the signed payload's `event` is `dispatch.failed`"
        );
        assert_eq!(script.calls(), 0, "{adapter:?}: the handler never ran");

        // Refused before the replay claim: the genuine delivery still goes
        // through once, and only once.
        let genuine = signed(&body, Some("dispatch.failed"));
        let reply = server::post(&client, &url, &genuine, body.clone()).await;
        assert_eq!(reply.status, 200, "{adapter:?}: {reply:?}");
        let reply = server::post(&client, &url, &genuine, body.clone()).await;
        assert_eq!(reply.code(), "replayed", "{adapter:?}");
        assert_eq!(script.processed("changed"), 1, "{adapter:?}");
    }
}

#[tokio::test]
async fn values_in_the_message_are_shown_safely() {
    let receiver =
        receivers::start(receivers::Adapter::TowerLayer, strict(), Script::default()).await;
    let body = payload("hostile", json!("dispatch.\u{1b}[2J\u{9b}é"));
    let long = "a".repeat(100);
    let reply = server::post(
        &server::client(),
        &receiver.url(),
        &signed(&body, Some(&long)),
        body.clone(),
    )
    .await;
    assert_eq!(reply.code(), "event_mismatch");
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&format!("`{}…`", "a".repeat(32))),
        "{message}"
    );
    assert!(message.contains("`dispatch.?[2J????`"), "{message}");
}

#[tokio::test]
async fn what_cannot_contradict_is_not_refused() {
    for adapter in ADAPTERS {
        let script = Script::default();
        let receiver = receivers::start(adapter, strict(), script.clone()).await;
        let client = server::client();
        let cases = [
            (
                "matching",
                json!("dispatch.completed"),
                Some("dispatch.completed"),
            ),
            ("no-header", json!("dispatch.completed"), None),
            ("number", json!(7), Some("dispatch.completed")),
            ("null", Value::Null, Some("dispatch.completed")),
        ];
        for (id, event, header) in cases {
            let body = payload(id, event);
            let reply = server::post(
                &client,
                &receiver.url(),
                &signed(&body, header),
                body.clone(),
            )
            .await;
            assert_eq!(reply.status, 200, "{adapter:?} {id}: {reply:?}");
        }
        assert_eq!(script.calls(), 4, "{adapter:?}");
    }
}

#[tokio::test]
async fn without_the_option_the_header_is_not_checked() {
    let script = Script::default();
    let receiver =
        receivers::start(receivers::Adapter::TowerLayer, verifier(), script.clone()).await;
    let body = payload("lenient", json!("dispatch.failed"));
    let reply = server::post(
        &server::client(),
        &receiver.url(),
        &signed(&body, Some("dispatch.completed")),
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(script.processed("lenient"), 1);
}
