//! The Redis round trip per delivery: sequential claims and commits (one
//! Lua script and one `SET key d PX ttl` each) against a local `redis-server` started here,
//! compared with verification alone. Needs `redis-server`
//! (`apt-get install -y redis-server`); skipped otherwise.
//!
//! Run with `cargo bench --bench replay_redis`.

#[path = "../tests/common/redis_server.rs"]
mod redis_server;

use std::time::{Duration, Instant, UNIX_EPOCH};

use hookwarden::replay::{RedisStore, ReplayProtection};
use hookwarden::{Scheme, Signer, Verifier};
use redis_server::RedisServer;

const N: usize = 5000;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    if !redis_server::available() {
        println!("skipping: redis-server is not installed");
        return;
    }
    let redis = RedisServer::start();
    let port = redis.port;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = RedisStore::new(&format!("redis://127.0.0.1:{port}/")).unwrap();
        let verifier = Verifier::builder(Scheme::mitpo())
            .secret("whsec_bench")
            .disable_timestamp_check()
            .replay_protection(ReplayProtection::new(store).record_ttl(Duration::from_secs(600)))
            .build()
            .unwrap();
        let signer = Signer::new(Scheme::mitpo(), "whsec_bench").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_764_072_000);
        let deliveries: Vec<_> = (0..N)
            .map(|i| {
                let mut body = format!("{{\"id\":{i},\"pad\":\"").into_bytes();
                body.resize(1022, b'x');
                body.extend_from_slice(b"\"}");
                (signer.sign(1, &body).to_header_map(), body)
            })
            .collect();
        // Warm up the connection.
        let warm = verifier
            .verify_at(&deliveries[0].0, &deliveries[0].1, now)
            .unwrap();
        let replay = verifier.replay_protection().unwrap().clone();
        replay.claim(&warm).await.unwrap().unwrap().commit().await;

        let mut verify_only = Vec::with_capacity(N);
        let mut with_redis = Vec::with_capacity(N);
        for (headers, body) in &deliveries[1..] {
            let start = Instant::now();
            let verified = verifier.verify_at(headers, body, now).unwrap();
            verify_only.push(start.elapsed());
            let lease = replay.claim(&verified).await.unwrap().unwrap();
            lease.commit().await;
            with_redis.push(start.elapsed());
        }
        let (v, r) = (median(verify_only), median(with_redis));
        println!("median over {} deliveries of 1 KiB:", N - 1);
        println!("  verify alone:               {v:?}");
        println!("  verify + Redis claim + commit: {r:?}");
        println!(
            "  Redis round trip per delivery: {:?} ({:.1}x verify alone)",
            r - v,
            r.as_secs_f64() / v.as_secs_f64()
        );
    });
}
