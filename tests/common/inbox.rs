//! A receiver whose handler writes its effect to PostgreSQL in its own
//! transaction and records the delivery there ([`record`]), behind each of
//! the four adapters, on 127.0.0.1; and the ledger of effects, read back
//! from the database (what committed, not what a handler believed).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use hookwarden::replay::postgres::{record, RecordError};
use hookwarden::replay::{Fence, PostgresStore, ReplayProtection};
use hookwarden::tower::VerifyWebhookLayer;
use hookwarden::{Scheme, VerifiedDelivery, Verifier};
use sqlx::PgPool;

use super::receivers::{delivery_id, Adapter, Receiver};
use super::server;

/// The table the handlers write their effects to.
pub const LEDGER: &str = "CREATE TABLE IF NOT EXISTS ledger (
    event_id text NOT NULL,
    replica text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
)";

/// What the handler does on one attempt of a delivery, after its INSERT.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Records and commits; 200.
    Act,
    /// Panics with the transaction open (rolled back when dropped).
    Panic,
    /// Rolls back; 500.
    Fail,
    /// Waits with the transaction open, then records and commits.
    SlowAct(Duration),
    /// Records and commits, then answers only after a wait: a response
    /// the provider may give up on (lost).
    ActThenStall(Duration),
    /// Records, then waits with the transaction open (the record's row
    /// locked), then commits.
    RecordThenStall(Duration),
    /// Says `inserted <id>` on stdout after the INSERT, then waits forever
    /// with the transaction open: a process to kill there.
    InsertThenHang,
}

/// The handlers' plan, shared by every replica in a test; the outcome of
/// each attempt as the handler saw it.
#[derive(Clone, Default)]
pub struct Plan {
    state: Arc<Mutex<PlanState>>,
}

#[derive(Default)]
struct PlanState {
    plans: HashMap<String, VecDeque<Step>>,
    default: Option<Step>,
    fenced: usize,
    calls: usize,
}

impl Plan {
    /// What the handler does for `id`, attempt after attempt; then the default.
    pub fn plan(&self, id: &str, steps: &[Step]) {
        let mut state = self.state.lock().unwrap();
        state
            .plans
            .insert(id.to_owned(), steps.iter().copied().collect());
    }

    /// What the handler does once a delivery's plan is used up (`Act` unless set).
    pub fn by_default(&self, step: Step) {
        self.state.lock().unwrap().default = Some(step);
    }

    /// How many records failed on the fence (`RecordError::LeaseLost`).
    pub fn fenced(&self) -> usize {
        self.state.lock().unwrap().fenced
    }

    /// How many times a handler ran.
    pub fn calls(&self) -> usize {
        self.state.lock().unwrap().calls
    }

    fn next(&self, id: &str) -> Step {
        let mut state = self.state.lock().unwrap();
        state.calls += 1;
        let planned = state.plans.get_mut(id).and_then(VecDeque::pop_front);
        planned.or(state.default).unwrap_or(Step::Act)
    }

    fn lost_fence(&self) {
        self.state.lock().unwrap().fenced += 1;
    }
}

/// Everything a replica's handler needs.
#[derive(Clone)]
pub struct Handler {
    pub pool: PgPool,
    pub plan: Plan,
    pub replica: String,
}

impl Handler {
    /// The handler's work: INSERT the effect, follow the plan, record the
    /// delivery fenced by its lease, COMMIT. `true` when it committed.
    pub async fn handle(&self, body: &[u8], fence: Option<&Fence>) -> bool {
        let id = delivery_id(body);
        let step = self.plan.next(&id);
        let Ok(mut tx) = self.pool.begin().await else {
            return false;
        };
        let inserted = sqlx::query("INSERT INTO ledger (event_id, replica) VALUES ($1, $2)")
            .bind(&id)
            .bind(&self.replica)
            .execute(&mut *tx)
            .await;
        if inserted.is_err() {
            return false;
        }
        match step {
            Step::Panic => panic!("scripted panic with the transaction open on {id}"),
            Step::Fail => return false,
            Step::SlowAct(wait) => tokio::time::sleep(wait).await,
            Step::InsertThenHang => {
                println!("inserted {id}");
                std::future::pending::<()>().await;
            }
            Step::Act | Step::ActThenStall(_) | Step::RecordThenStall(_) => {}
        }
        match record(&mut tx, fence).await {
            Ok(()) => {}
            Err(RecordError::LeaseLost) => {
                self.plan.lost_fence();
                return false;
            }
            Err(_) => return false,
        }
        if let Step::RecordThenStall(wait) = step {
            tokio::time::sleep(wait).await;
        }
        if tx.commit().await.is_err() {
            return false;
        }
        if let Step::ActThenStall(wait) = step {
            tokio::time::sleep(wait).await;
        }
        true
    }
}

/// A verifier of `scheme` with `secret` on a PostgreSQL store.
pub fn verifier(scheme: Scheme, secret: &str, store: PostgresStore, lease: Duration) -> Verifier {
    Verifier::builder(scheme)
        .secret(secret)
        .replay_protection(
            ReplayProtection::new(store)
                .lease_ttl(lease)
                .store_timeout(Duration::from_secs(2)),
        )
        .build()
        .unwrap()
}

/// How many effects committed per event id.
pub async fn ledger(pool: &PgPool) -> HashMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>("SELECT event_id, count(*) FROM ledger GROUP BY event_id")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// A pool on `url` and the schema (hookwarden's and the ledger) applied.
pub async fn prepare(url: &str) -> (PgPool, PostgresStore) {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(2))
        .connect(url)
        .await
        .unwrap();
    let store = PostgresStore::new(pool.clone());
    store.migrate().await.unwrap();
    sqlx::raw_sql(LEDGER).execute(&pool).await.unwrap();
    (pool, store)
}

fn status(done: bool) -> StatusCode {
    if done {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Starts a receiver of `adapter` on 127.0.0.1:0 whose handler is `handler`.
pub async fn start(adapter: Adapter, verifier: Verifier, handler: Handler) -> Receiver {
    super::receivers::quiet_scripted_panics();
    match adapter {
        Adapter::TowerLayer | Adapter::AxumExtractor => {
            let server = server::serve(axum_app(adapter, verifier, handler)).await;
            Receiver {
                adapter,
                addr: server.addr,
                stop: None,
            }
        }
        Adapter::ActixMiddleware | Adapter::ActixExtractor => {
            start_actix(adapter, verifier, handler)
        }
    }
}

fn axum_app(adapter: Adapter, verifier: Verifier, handler: Handler) -> Router {
    #[derive(Clone)]
    struct AppState {
        verifier: Verifier,
        handler: Handler,
    }
    impl axum::extract::FromRef<AppState> for Verifier {
        fn from_ref(state: &AppState) -> Verifier {
            state.verifier.clone()
        }
    }
    let state = AppState {
        verifier: verifier.clone(),
        handler,
    };
    if adapter == Adapter::TowerLayer {
        let layered = |State(state): State<AppState>, delivery: VerifiedDelivery, body: Bytes| async move {
            status(state.handler.handle(&body, delivery.fence()).await)
        };
        return Router::new()
            .route(
                "/hook",
                post(layered).layer(VerifyWebhookLayer::new(verifier)),
            )
            .with_state(state);
    }
    let extracted = |State(state): State<AppState>,
                     hookwarden::axum::Verified {
                         body,
                         delivery,
                         ack,
                     }: hookwarden::axum::Verified<Bytes>| async move {
        let done = state.handler.handle(&body, delivery.fence()).await;
        if done {
            ack.commit().await;
        }
        status(done)
    };
    Router::new()
        .route("/hook", post(extracted))
        .with_state(state)
}

fn start_actix(adapter: Adapter, verifier: Verifier, handler: Handler) -> Receiver {
    use actix_web::{web, App, HttpResponse, HttpServer};
    use hookwarden::actix::{Verified, VerifyWebhookLayer};

    fn answer(done: bool) -> HttpResponse {
        if done {
            HttpResponse::Ok().finish()
        } else {
            HttpResponse::ServiceUnavailable().finish()
        }
    }
    async fn behind_middleware(
        handler: web::Data<Handler>,
        delivery: VerifiedDelivery,
        body: web::Bytes,
    ) -> HttpResponse {
        answer(handler.handle(&body, delivery.fence()).await)
    }
    async fn extractor(
        handler: web::Data<Handler>,
        verified: Verified<web::Bytes>,
    ) -> HttpResponse {
        let Verified {
            body,
            delivery,
            ack,
        } = verified;
        let done = handler.handle(&body, delivery.fence()).await;
        if done {
            ack.commit().await;
        }
        answer(done)
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let app = App::new()
                    .app_data(web::Data::new(handler.clone()))
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
