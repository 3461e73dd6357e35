//! The four adapters as real receivers on 127.0.0.1 — the tower layer, the
//! axum extractor, the actix-web middleware and the actix-web extractor —
//! running one scripted handler, and a provider that re-sends the same
//! signed request until it is accepted. Fault tests run against all four.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::Verifier;

use super::server::{self, HttpClient};

/// Which adapter a receiver is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    TowerLayer,
    AxumExtractor,
    ActixMiddleware,
    ActixExtractor,
}

pub const ADAPTERS: [Adapter; 4] = [
    Adapter::TowerLayer,
    Adapter::AxumExtractor,
    Adapter::ActixMiddleware,
    Adapter::ActixExtractor,
];

/// What the handler does on one attempt of a delivery.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Acts (records the delivery in the ledger) and answers 200.
    Act,
    /// Panics before acting.
    Panic,
    /// Answers 500 without acting.
    Fail,
    /// Waits, then acts: a client that goes away meanwhile cancels it
    /// before it acts (where the framework drops the request).
    SlowAct(Duration),
}

/// The handler's script and ledger, shared by every replica in a test.
#[derive(Clone, Default)]
pub struct Script {
    state: Arc<Mutex<ScriptState>>,
}

#[derive(Default)]
struct ScriptState {
    plans: HashMap<String, VecDeque<Step>>,
    default: Option<Step>,
    ledger: HashMap<String, usize>,
    calls: usize,
}

impl Script {
    /// What the handler does for `id`, attempt after attempt; `Act` after.
    pub fn plan(&self, id: &str, steps: &[Step]) {
        let mut state = self.state.lock().unwrap();
        state
            .plans
            .insert(id.to_owned(), steps.iter().copied().collect());
    }

    /// What the handler does once a delivery's plan is used up.
    pub fn by_default(&self, step: Step) {
        self.state.lock().unwrap().default = Some(step);
    }

    /// How many times the handler acted on `id`.
    pub fn processed(&self, id: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .ledger
            .get(id)
            .copied()
            .unwrap_or(0)
    }

    /// Every id acted on, with its count.
    pub fn ledger(&self) -> HashMap<String, usize> {
        self.state.lock().unwrap().ledger.clone()
    }

    /// How many times the handler ran.
    pub fn calls(&self) -> usize {
        self.state.lock().unwrap().calls
    }

    /// Runs the handler on a verified body (`{"id": "..."}`): `true` when it acted.
    pub async fn handle(&self, body: &[u8]) -> bool {
        let id = delivery_id(body);
        let step = {
            let mut state = self.state.lock().unwrap();
            state.calls += 1;
            let planned = state.plans.get_mut(&id).and_then(VecDeque::pop_front);
            planned.or(state.default).unwrap_or(Step::Act)
        };
        match step {
            Step::Panic => panic!("scripted panic before acting on {id}"),
            Step::Fail => return false,
            Step::SlowAct(wait) => tokio::time::sleep(wait).await,
            Step::Act => {}
        }
        *self.state.lock().unwrap().ledger.entry(id).or_default() += 1;
        true
    }
}

/// The `id` field of a test payload.
pub fn delivery_id(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).expect("a JSON test payload");
    value["id"].as_str().expect("an id").to_owned()
}

/// A test payload.
pub fn payload(id: &str) -> Vec<u8> {
    format!(r#"{{"event":"dispatch.completed","id":"{id}"}}"#).into_bytes()
}

/// A running receiver.
pub struct Receiver {
    pub adapter: Adapter,
    pub addr: SocketAddr,
    pub(crate) stop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Receiver {
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Scripted panics are expected: their messages (and backtraces) would
/// only bury the test output. Other panics print as usual.
pub fn quiet_scripted_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let scripted = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("scripted panic"));
            if !scripted {
                previous(info);
            }
        }));
    });
}

/// Starts a receiver of `adapter` on 127.0.0.1:0 verifying with `verifier`.
pub async fn start(adapter: Adapter, verifier: Verifier, script: Script) -> Receiver {
    quiet_scripted_panics();
    match adapter {
        Adapter::TowerLayer | Adapter::AxumExtractor => {
            let server = server::serve(axum_app(adapter, verifier, script)).await;
            Receiver {
                adapter,
                addr: server.addr,
                stop: None,
            }
        }
        Adapter::ActixMiddleware | Adapter::ActixExtractor => {
            start_actix(adapter, verifier, script)
        }
    }
}

#[derive(Clone)]
struct AppState {
    verifier: Verifier,
    script: Script,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

fn status(acted: bool) -> StatusCode {
    if acted {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

fn axum_app(adapter: Adapter, verifier: Verifier, script: Script) -> Router {
    let state = AppState {
        verifier: verifier.clone(),
        script,
    };
    if adapter == Adapter::TowerLayer {
        let handler = |State(state): State<AppState>, body: Bytes| async move {
            status(state.script.handle(&body).await)
        };
        return Router::new()
            .route(
                "/hook",
                post(handler).layer(VerifyWebhookLayer::new(verifier)),
            )
            .with_state(state);
    }
    let handler = |State(state): State<AppState>,
                   hookwarden::axum::Verified { body, ack, .. }: hookwarden::axum::Verified<
        Bytes,
    >| async move {
        let acted = state.script.handle(&body).await;
        if acted {
            ack.commit().await;
        }
        status(acted)
    };
    Router::new()
        .route("/hook", post(handler))
        .with_state(state)
}

fn start_actix(adapter: Adapter, verifier: Verifier, script: Script) -> Receiver {
    use actix_web::{web, App, HttpResponse, HttpServer};
    use hookwarden::actix::{Verified, VerifyWebhookLayer};

    fn answer(acted: bool) -> HttpResponse {
        if acted {
            HttpResponse::Ok().finish()
        } else {
            HttpResponse::InternalServerError().finish()
        }
    }
    async fn behind_middleware(script: web::Data<Script>, body: web::Bytes) -> HttpResponse {
        answer(script.handle(&body).await)
    }
    async fn extractor(script: web::Data<Script>, verified: Verified<web::Bytes>) -> HttpResponse {
        let Verified { body, ack, .. } = verified;
        let acted = script.handle(&body).await;
        if acted {
            ack.commit().await;
        }
        answer(acted)
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let app = App::new()
                    .app_data(web::Data::new(script.clone()))
                    .app_data(web::PayloadConfig::new(verifier.body_limit() as usize));
                match adapter {
                    Adapter::ActixMiddleware => app.service(
                        web::scope("/hook")
                            .wrap(VerifyWebhookLayer::new(verifier.clone()))
                            .route("", web::post().to(behind_middleware)),
                    ),
                    _ => app
                        .app_data(web::Data::new(verifier.clone()))
                        .service(web::scope("/hook").route("", web::post().to(extractor))),
                }
            })
            .workers(2)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        });
    });
    let handle = rx.recv().unwrap();
    Receiver {
        adapter,
        addr,
        stop: Some(Box::new(move || {
            drop(handle.stop(false));
        })),
    }
}

/// What a provider saw for one delivery.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// Each attempt's status (0: the connection failed) and error code.
    pub attempts: Vec<(u16, String)>,
    /// Whether the provider counts it delivered: a 2xx, or 409 `replayed`.
    pub delivered: bool,
}

/// A provider: sends the same signed request until it is delivered (2xx or
/// 409 `replayed`), retrying connection errors, 5xx, 408, 429 and 409
/// `in_flight` after a short pause (tests do not wait the full
/// `Retry-After`). Gives up after `max_attempts`.
pub async fn deliver(
    client: &HttpClient,
    url: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    max_attempts: usize,
) -> Delivered {
    let mut attempts = Vec::new();
    for _ in 0..max_attempts {
        let (status, code) = attempt(client, url, headers, body).await;
        attempts.push((status, code.clone()));
        let delivered = (200..300).contains(&status) || (status == 409 && code == "replayed");
        if delivered {
            return Delivered {
                attempts,
                delivered: true,
            };
        }
        let retry = status == 0
            || status >= 500
            || status == 408
            || status == 429
            || (status == 409 && code == "in_flight");
        if !retry {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Delivered {
        attempts,
        delivered: false,
    }
}

/// One attempt: the status (0 when the connection failed) and the error code.
pub async fn attempt(
    client: &HttpClient,
    url: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> (u16, String) {
    use http_body_util::{BodyExt, Full};
    let mut request = http::Request::post(url)
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    request.headers_mut().extend(headers.clone());
    let exchange = async {
        let response = client.request(request).await.ok()?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_default();
        Some((status, code))
    };
    match tokio::time::timeout(Duration::from_secs(10), exchange).await {
        Ok(Some(answer)) => answer,
        _ => (0, String::new()),
    }
}

/// Sends the whole request over a fresh connection, then closes it after
/// `after` without reading the answer: a client that goes away while the
/// handler runs.
pub async fn cut_after(addr: SocketAddr, headers: &http::HeaderMap, body: &[u8], after: Duration) {
    use tokio::io::AsyncWriteExt;
    let head = server::raw_head(
        "/hook",
        headers,
        &format!("Content-Length: {}\r\n", body.len()),
    );
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    if stream
        .write_all(&[head.as_bytes(), body].concat())
        .await
        .is_ok()
    {
        tokio::time::sleep(after).await;
    }
}

/// One attempt sent in the background (on its own client), to overlap with
/// what the test does next.
pub fn spawn_attempt(
    url: String,
    headers: &http::HeaderMap,
    body: &[u8],
) -> tokio::task::JoinHandle<(u16, String)> {
    let (headers, body) = (headers.clone(), body.to_vec());
    tokio::spawn(async move { attempt(&server::client(), &url, &headers, &body).await })
}

/// `n` copies of one request at once, the `i`-th to `urls[i % urls.len()]`;
/// every answer, in the order sent.
pub async fn burst(
    urls: &[String],
    headers: &http::HeaderMap,
    body: &[u8],
    n: usize,
) -> Vec<(u16, String)> {
    let copies: Vec<_> = (0..n)
        .map(|i| spawn_attempt(urls[i % urls.len()].clone(), headers, body))
        .collect();
    let mut answers = Vec::with_capacity(n);
    for copy in copies {
        answers.push(copy.await.expect("the attempt's task ran"));
    }
    answers
}
