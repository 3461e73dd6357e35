//! The PostgreSQL harness (`tests/common/postgres.rs`) against a real
//! server: a cluster of its own on a free loopback port, an immediate
//! shutdown and restart mid-stream with its commits kept, and connections
//! terminated by `pg_terminate_backend`.
//!
//! A custom harness (libtest-mimic), as `tests/redis.rs`: without
//! PostgreSQL these tests show as **ignored** in the summary, with the
//! install command; `.ci/run` installs it and sets
//! `HOOKWARDEN_REQUIRE_POSTGRES`, which turns a missing server into a
//! failure.

mod common;

use common::mimic::trial;

use std::time::Duration;

use common::postgres::{self, Postgres};
use libtest_mimic::Arguments;
use sqlx::{Connection, PgConnection};

fn main() {
    let args = Arguments::from_args();
    let missing = postgres::missing_unless_required("the PostgreSQL tests");
    let trials = vec![
        trial("a_cluster_of_its_own_answers_on_loopback", answers),
        trial(
            "an_immediate_restart_mid_stream_keeps_what_was_committed",
            restart_mid_stream,
        ),
        trial(
            "terminated_connections_fail_and_new_ones_work",
            terminate_backends,
        ),
        trial(
            "dropping_it_stops_the_server_and_removes_its_files",
            drop_stops,
        ),
    ];
    let trials = trials
        .into_iter()
        .map(|t| t.with_ignored_flag(missing.is_some()))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

async fn connect(pg: &Postgres) -> PgConnection {
    PgConnection::connect(&pg.url())
        .await
        .unwrap_or_else(|e| panic!("connect to {}: {e}", pg.url()))
}

async fn answers() {
    let pg = Postgres::start();
    assert!(pg.url().starts_with("postgres://postgres@127.0.0.1:"));
    assert!(pg.url().ends_with(&format!(":{}/postgres", pg.port())));
    let mut conn = connect(&pg).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
    // The server's default durability: nothing here turns fsync off.
    let fsync: String = sqlx::query_scalar("SHOW fsync")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(fsync, "on");
    let listen: String = sqlx::query_scalar("SHOW listen_addresses")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "127.0.0.1");
    assert_eq!(pg.psql("SELECT 40 + 2"), "42");
}

async fn restart_mid_stream() {
    let mut pg = Postgres::start();
    let mut conn = connect(&pg).await;
    sqlx::query("CREATE TABLE deliveries (id int PRIMARY KEY)")
        .execute(&mut conn)
        .await
        .unwrap();
    for id in 0..50 {
        sqlx::query("INSERT INTO deliveries VALUES ($1)")
            .bind(id)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let port = pg.port();

    pg.restart_immediate();
    assert_eq!(pg.port(), port, "the same port after a restart");

    // The old connection is gone with the server it talked to.
    let stale = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&mut conn)
        .await;
    assert!(
        stale.is_err(),
        "a connection survived an immediate shutdown"
    );

    // A new one sees every acknowledged commit (recovery from the WAL).
    let mut conn = connect(&pg).await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 50);
    assert!(
        pg.log().contains("database system was interrupted")
            || pg.log().contains("not properly shut down"),
        "the restart went through crash recovery:\n{}",
        pg.log()
    );

    // Down for a while: connecting fails, then works again.
    pg.stop();
    assert!(PgConnection::connect(&pg.url()).await.is_err());
    pg.start_again();
    let mut conn = connect(&pg).await;
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

async fn terminate_backends() {
    let pg = Postgres::start();
    let mut a = connect(&pg).await;
    let mut b = connect(&pg).await;
    let mut keeper = connect(&pg).await;
    let keeper_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut keeper)
        .await
        .unwrap();

    // From SQL, as a store's own test would: every other client backend.
    let terminated: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )
    .fetch_one(&mut keeper)
    .await
    .unwrap();
    assert_eq!(terminated, 2);
    for conn in [&mut a, &mut b] {
        let result = sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(conn)
            .await;
        assert!(result.is_err(), "a terminated connection still answered");
    }

    // Through the harness (psql): the keeper goes too.
    let mut c = connect(&pg).await;
    assert_eq!(pg.terminate_connections(), 2);
    for conn in [&mut keeper, &mut c] {
        let result = sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(conn)
            .await;
        assert!(result.is_err(), "a terminated connection still answered");
    }
    let mut fresh = connect(&pg).await;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut fresh)
        .await
        .unwrap();
    assert_ne!(pid, keeper_pid);
}

async fn drop_stops() {
    let pg = Postgres::start();
    let (url, data) = (pg.url(), pg.data_dir());
    assert!(data.join("PG_VERSION").is_file());
    drop(pg);
    assert!(!data.exists(), "the cluster's directory is removed");
    let refused = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&url)).await;
    assert!(
        matches!(refused, Ok(Err(_))),
        "the server is stopped when the harness is dropped"
    );
}
