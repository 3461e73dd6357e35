//! The presets' cost, and the Standard Webhooks preset against the crate
//! Standard Webhooks publishes (`standardwebhooks`), as ratios from
//! interleaved rounds (`benches/interleaved`), which hold on a noisy machine.
//!
//! - `presets`: every preset's `Verifier::verify_at` on a signed 1 KiB
//!   delivery, beside a bare HMAC of the same hash (a pre-keyed state
//!   cloned per call, fed `<ts>.` and the body for SHA-256, the body for
//!   SHA-1 and SHA-512, compared with an already decoded tag: no header
//!   work). Every
//!   preset's signed message (at most 50 bytes before the body) fits in the
//!   same 17 SHA-256 blocks as the bare HMAC's, so the ratio is the
//!   preset's fixed cost. With
//!   `--features ed25519`, Standard Webhooks `v1a` (a `whpk_` key) too,
//!   beside a bare `ed25519_dalek::VerifyingKey::verify` of the same
//!   message (the same check hookwarden streams).
//! - `standardwebhooks`: `Scheme::standard_webhooks()` against
//!   `standardwebhooks::Webhook::verify` on identical deliveries (signed by
//!   `Signer::sign_with_id` with the current time, each verifier reading
//!   the system clock, as the crate does), at 256 B, 1 KiB and 16 KiB,
//!   with a pre-keyed and a keyed-per-call bare HMAC over the same message
//!   for scale. Before timing, both verifiers must accept every delivery,
//!   and the crate's refusal of a non-UTF-8 body (which hookwarden
//!   verifies) is printed.
//!
//! Run with `cargo bench --bench schemes --features ed25519` (without the
//! feature the `v1a` rows are left out and the bench says so); a filter
//! (`-- presets` or `-- standardwebhooks`) runs one section. Run without
//! `--bench` (`cargo test --benches`), it checks the deliveries and times
//! one short round.

mod interleaved;

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use hookwarden::scheme::{Algorithm, KeyFormat};
use hookwarden::{Scheme, Signer, Verifier};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

const TS: u64 = 1_764_071_982;
/// Standard Webhooks' test secret (its libraries' own tests use it).
const WHSEC: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Rounds and calls per round: the real run, or one short round.
#[derive(Clone, Copy)]
struct Plan {
    rounds: usize,
    quick: bool,
}

impl Plan {
    /// `calls` per round when benchmarking, a handful otherwise.
    fn iters(self, calls: u32) -> u32 {
        if self.quick {
            calls.clamp(1, 3)
        } else {
            calls
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let plan = if args.iter().any(|a| a == "--bench") {
        Plan {
            rounds: 51,
            quick: false,
        }
    } else {
        Plan {
            rounds: 1,
            quick: true,
        }
    };
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let wanted = |section: &str| filter.is_none_or(|f| section.contains(f.as_str()));
    if wanted("presets") {
        presets(plan);
    }
    if wanted("standardwebhooks") {
        against_standardwebhooks(plan);
    }
    if plan.quick {
        println!(
            "(one short round: run `cargo bench --bench schemes --features ed25519` for timings)"
        );
    }
}

/// A JSON-looking ASCII body of exactly `size` bytes, distinct per `seed`.
fn body(size: usize, seed: usize) -> Vec<u8> {
    let mut body = format!("{{\"id\":\"evt_{seed:08}\",\"data\":\"").into_bytes();
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
    let mut i = seed;
    while body.len() < size - 2 {
        body.push(alphabet[i * 7 % alphabet.len()]);
        i += 1;
    }
    body.extend_from_slice(b"\"}");
    assert_eq!(body.len(), size);
    body
}

fn at(ts: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(ts)
}

/// Every preset (`Scheme::PRESETS`), the secret it is signed and verified
/// with (raw, or Standard Webhooks' base64 for the presets that decode it).
fn preset_cases() -> Vec<(&'static str, Scheme, &'static str)> {
    Scheme::PRESETS
        .iter()
        .map(|name| {
            let scheme = Scheme::preset(name).unwrap();
            let secret = match scheme.methods()[0].key_format() {
                KeyFormat::Raw => "ZKYivBnrRg1y7Jw641RIFXIpeUcfikk6In",
                _ => WHSEC,
            };
            (*name, scheme, secret)
        })
        // Discord's Ed25519 is timed beside a bare Ed25519 check (below).
        .filter(|(_, scheme, _)| scheme.methods()[0].algorithm() != Algorithm::Ed25519)
        .collect()
}

/// A verifier and one signed delivery of `scheme` at `TS`, checked.
struct Delivery {
    verifier: Verifier,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Delivery {
    fn new(scheme: Scheme, secret: &str, verify_with: &str, body: Vec<u8>) -> Self {
        Delivery::with(scheme, secret, verify_with, body, true)
    }

    /// As [`new`](Self::new); `replay` false opts the verifier out of
    /// replay protection (no replay digest computed in `verify_at`).
    fn with(scheme: Scheme, secret: &str, verify_with: &str, body: Vec<u8>, replay: bool) -> Self {
        let signer = Signer::new(scheme.clone(), secret).unwrap();
        let headers = if scheme.signs_delivery_id() {
            signer.sign_with_id(TS, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", &body)
        } else {
            Ok(signer.sign(TS, &body))
        }
        .unwrap()
        .to_header_map();
        let builder = Verifier::builder(scheme).secret(verify_with);
        let builder = if replay {
            builder
        } else {
            builder.without_replay_protection()
        };
        let verifier = builder.build().unwrap();
        let delivery = Delivery {
            verifier,
            headers,
            body,
        };
        assert!(delivery.verify(), "{}", delivery.verifier.name());
        delivery
    }

    fn verify(&self) -> bool {
        self.verifier
            .verify_at(black_box(&self.headers), black_box(&self.body), at(TS + 1))
            .is_ok()
    }
}

/// Each preset's cost per 1 KiB delivery beside a bare HMAC (and `v1a`
/// beside a bare Ed25519 check).
fn presets(plan: Plan) {
    const SIZE: usize = 1024;
    let body = body(SIZE, 1);
    let secret = "ZKYivBnrRg1y7Jw641RIFXIpeUcfikk6In";
    let prekeyed = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    let tag = Signer::new(Scheme::mittr(), secret)
        .unwrap()
        .digest(TS, &body);
    let ts_text = TS.to_string();
    let prekeyed_sha512 = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).unwrap();
    let tag_sha512 = {
        let mut mac = prekeyed_sha512.clone();
        mac.update(&body);
        mac.finalize().into_bytes()
    };
    let prekeyed_sha1 = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    let tag_sha1 = {
        let mut mac = prekeyed_sha1.clone();
        mac.update(&body);
        mac.finalize().into_bytes()
    };
    // Each preset twice: its default verifier (replay protection on: the
    // replay digest, and a JSON field's scan, computed in `verify_at`),
    // then opted out of replay protection (the signature's cost alone).
    let mut deliveries: Vec<(String, Algorithm, Delivery)> = Vec::new();
    for (name, scheme, secret) in preset_cases() {
        let algorithm = scheme.methods()[0].algorithm();
        for replay in [true, false] {
            let label = if replay {
                name.to_owned()
            } else {
                format!("{name} (no replay)")
            };
            let delivery = Delivery::with(scheme.clone(), secret, secret, body.clone(), replay);
            deliveries.push((label, algorithm, delivery));
        }
    }

    #[cfg(feature = "ed25519")]
    let ed = ed25519::Setup::new(&body);

    // Short rounds (a few ms per case), many of them: a burst of load from
    // elsewhere spoils a few rounds, not the median.
    let iters = plan.iters(4_000);
    let mut cases = vec![interleaved::case(
        "bare HMAC-SHA256 (pre-keyed, no headers)",
        || {
            let mut mac = prekeyed.clone();
            mac.update(ts_text.as_bytes());
            mac.update(b".");
            mac.update(black_box(&body));
            black_box(mac.verify_slice(black_box(&tag)).is_ok());
        },
    )];
    // HMAC-SHA1 presets (Intercom, Vercel, Webex) beside a bare HMAC-SHA1 of
    // the body, HMAC-SHA512 ones (HCP Terraform) beside a bare HMAC-SHA512.
    cases.push(interleaved::case(
        "bare HMAC-SHA1 (pre-keyed, no headers)",
        || {
            let mut mac = prekeyed_sha1.clone();
            mac.update(black_box(&body));
            black_box(mac.verify_slice(black_box(&tag_sha1)).is_ok());
        },
    ));
    cases.push(interleaved::case(
        "bare HMAC-SHA512 (pre-keyed, no headers)",
        || {
            let mut mac = prekeyed_sha512.clone();
            mac.update(black_box(&body));
            black_box(mac.verify_slice(black_box(&tag_sha512)).is_ok());
        },
    ));
    for (name, _, delivery) in &deliveries {
        cases.push(interleaved::case(name.as_str(), || {
            black_box(delivery.verify());
        }));
    }
    // The bare HMAC of a preset's hash: cases 0 (SHA-256), 1 (SHA-1), 2 (SHA-512).
    let baseline = |name: &str| {
        let algorithm = deliveries.iter().find(|(n, _, _)| n == name).map(|d| d.1);
        match algorithm {
            Some(Algorithm::HmacSha1) => 1,
            Some(Algorithm::HmacSha512) => 2,
            _ => 0,
        }
    };
    #[cfg(feature = "ed25519")]
    {
        let ed_iters = plan.iters(100);
        cases.push(
            interleaved::case("bare ed25519-dalek verify (no headers)", || {
                black_box(ed.bare());
            })
            .iters(ed_iters),
        );
        cases.push(
            interleaved::case("standard-webhooks v1a (ed25519)", || {
                black_box(ed.delivery.verify());
            })
            .iters(ed_iters),
        );
        cases.push(
            interleaved::case("discord (ed25519)", || {
                black_box(ed.discord.verify());
            })
            .iters(ed_iters),
        );
    }
    let m = interleaved::run_on(
        interleaved::Clock::ThreadCpu,
        plan.rounds,
        iters,
        &mut cases,
    );
    let rounds = plan.rounds;
    println!(
        "\nEach preset's verify_at on a 1 KiB delivery (median of {rounds} alternating rounds \
         on the thread's CPU clock; ratios are medians of per-round ratios [p25-p75])"
    );
    println!(
        "  {:<42} {:>11}  {:>24}",
        "case", "time/call", "x bare HMAC (same hash)"
    );
    for (i, name) in m.names.iter().enumerate() {
        let base = if name.starts_with("bare") {
            i
        } else {
            baseline(name)
        };
        let (lo, hi) = m.spread(i, base);
        print!(
            "  {:<42} {:>11.3?}  {:>8.3}x [{lo:.3}-{hi:.3}]",
            name,
            m.time(i),
            m.ratio(i, base)
        );
        if name.contains("(ed25519)") {
            let floor = m
                .names
                .iter()
                .position(|n| n.starts_with("bare ed25519"))
                .unwrap();
            let (lo, hi) = m.spread(i, floor);
            print!("  {:.3}x bare ed25519 [{lo:.3}-{hi:.3}]", m.ratio(i, floor));
        }
        println!();
    }
    #[cfg(not(feature = "ed25519"))]
    println!("  (no v1a or Discord rows: run with `--features ed25519`)");
    println!();
}

#[cfg(feature = "ed25519")]
mod ed25519 {
    use super::*;
    use ed25519_dalek::Verifier as _;

    /// The Go library's asymmetric test key pair (`tests/data/providers`).
    const WHSK: &str = "whsk_V0VCSE9PS0FTWU1NRVRSSUNURVNUUFJJVkFURUtFWTE=";
    const WHPK: &str = "whpk_4rQZjjkCnn4m/ciYBaRPSZTA+Y/UwqgD6hgxOllF28g=";

    pub(super) struct Setup {
        pub(super) delivery: Delivery,
        /// Discord: RFC 8032's first test key pair, in hex.
        pub(super) discord: Delivery,
        key: ed25519_dalek::VerifyingKey,
        signature: ed25519_dalek::Signature,
        message: Vec<u8>,
    }

    impl Setup {
        pub(super) fn new(body: &[u8]) -> Self {
            let delivery = Delivery::new(Scheme::standard_webhooks(), WHSK, WHPK, body.to_vec());
            let b64 = base64::engine::general_purpose::STANDARD;
            let public: [u8; 32] = b64
                .decode(&WHPK["whpk_".len()..])
                .unwrap()
                .try_into()
                .unwrap();
            let entry = delivery.headers["webhook-signature"].to_str().unwrap();
            let signature = b64.decode(entry.strip_prefix("v1a,").unwrap()).unwrap();
            let id = delivery.headers["webhook-id"].to_str().unwrap();
            let message = [format!("{id}.{TS}.").as_bytes(), body].concat();
            let setup = Setup {
                key: ed25519_dalek::VerifyingKey::from_bytes(&public).unwrap(),
                signature: ed25519_dalek::Signature::from_slice(&signature).unwrap(),
                message,
                delivery,
                discord: Delivery::new(
                    Scheme::discord(),
                    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                    body.to_vec(),
                ),
            };
            assert!(setup.bare());
            setup
        }

        pub(super) fn bare(&self) -> bool {
            self.key
                .verify(black_box(&self.message), black_box(&self.signature))
                .is_ok()
        }
    }
}

/// One Standard Webhooks delivery, as both verifiers see it.
struct StandardDelivery {
    headers: http::HeaderMap,
    body: Vec<u8>,
    /// `<id>.<ts>.` and the decoded tag, for the bare HMACs.
    prefix: Vec<u8>,
    tag: Vec<u8>,
}

/// The Standard Webhooks preset against `standardwebhooks::Webhook` on
/// identical deliveries, per size.
fn against_standardwebhooks(plan: Plan) {
    const DELIVERIES: usize = 16;
    let hookwarden = Verifier::builder(Scheme::standard_webhooks())
        .secret(WHSEC)
        .build()
        .unwrap();
    let crate_webhook = standardwebhooks::Webhook::new(WHSEC).unwrap();
    let signer = Signer::new(Scheme::standard_webhooks(), WHSEC).unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(&WHSEC["whsec_".len()..])
        .unwrap();
    let prekeyed = Hmac::<Sha256>::new_from_slice(&key).unwrap();

    // A non-UTF-8 body: hookwarden verifies it, the crate refuses it.
    let now = hookwarden::time::unix_seconds(SystemTime::now());
    let binary = [b"\xff\xfe".as_slice(), &body(256, 0)].concat();
    let headers = signer
        .sign_with_id(now, "msg_binary", &binary)
        .unwrap()
        .to_header_map();
    let ours = hookwarden.verify(&headers, &binary);
    let theirs = crate_webhook.verify(&binary, &headers);
    assert!(ours.is_ok() && theirs.is_err());
    println!(
        "Non-UTF-8 body (256 B, starts 0xff 0xfe), signed by Signer::sign_with_id: \
         hookwarden accepts it; standardwebhooks refuses it ({:?}: \"{}\")",
        theirs.as_ref().unwrap_err(),
        theirs.as_ref().unwrap_err()
    );

    let mut rows = Vec::new();
    for size in [256usize, 1024, 16 * 1024] {
        // Signed now: the crate checks freshness against the system clock.
        let now = hookwarden::time::unix_seconds(SystemTime::now());
        let deliveries: Vec<StandardDelivery> = (0..DELIVERIES)
            .map(|i| {
                let id = format!("msg_{:027}", i * 7919 + size);
                let body = body(size, i);
                let signed = signer.sign_with_id(now, &id, &body).unwrap();
                let headers = signed.to_header_map();
                let entry = headers["webhook-signature"].to_str().unwrap();
                let tag = base64::engine::general_purpose::STANDARD
                    .decode(entry.strip_prefix("v1,").unwrap())
                    .unwrap();
                StandardDelivery {
                    prefix: format!("{id}.{now}.").into_bytes(),
                    headers,
                    body,
                    tag,
                }
            })
            .collect();
        for (i, d) in deliveries.iter().enumerate() {
            assert!(
                hookwarden.verify(&d.headers, &d.body).is_ok(),
                "hookwarden refuses delivery {i} of {size} B"
            );
            assert!(
                crate_webhook.verify(&d.body, &d.headers).is_ok(),
                "standardwebhooks refuses delivery {i} of {size} B"
            );
        }
        let per_round = (8 * 1024 * 1024 / size.max(1024)) as u32;
        let (mut a, mut b, mut c, mut e) = (0, 0, 0, 0);
        let next = |i: &mut usize| {
            *i += 1;
            &deliveries[*i % DELIVERIES]
        };
        let measured = interleaved::run_on(
            interleaved::Clock::ThreadCpu,
            plan.rounds,
            plan.iters(per_round),
            &mut [
                interleaved::case("hookwarden", || {
                    let d = next(&mut a);
                    black_box(
                        hookwarden
                            .verify(black_box(&d.headers), black_box(&d.body))
                            .is_ok(),
                    );
                }),
                interleaved::case("standardwebhooks", || {
                    let d = next(&mut b);
                    black_box(
                        crate_webhook
                            .verify(black_box(&d.body), black_box(&d.headers))
                            .is_ok(),
                    );
                }),
                interleaved::case("hmac_prekeyed", || {
                    let d = next(&mut c);
                    let mut mac = prekeyed.clone();
                    mac.update(&d.prefix);
                    mac.update(black_box(&d.body));
                    black_box(mac.verify_slice(&d.tag).is_ok());
                }),
                interleaved::case("hmac_keyed_per_call", || {
                    let d = next(&mut e);
                    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
                    mac.update(&d.prefix);
                    mac.update(black_box(&d.body));
                    black_box(mac.verify_slice(&d.tag).is_ok());
                }),
            ],
        );
        rows.push((size, measured));
    }
    let rounds = plan.rounds;
    println!(
        "\nStandard Webhooks v1: hookwarden against the standardwebhooks crate on identical deliveries \
         ({DELIVERIES} per size, median of {rounds} alternating rounds on the thread's CPU clock; \
         ratios are medians of per-round ratios [p25-p75])"
    );
    println!(
        "  {:>6}  {:>10}  {:>16}  {:>24}  {:>13}  {:>19}  {:>22}  {:>22}",
        "body",
        "hookwarden",
        "standardwebhooks",
        "standardwebhooks/hookwarden",
        "hmac_prekeyed",
        "hmac_keyed_per_call",
        "hookwarden/prekeyed",
        "crate/keyed_per_call"
    );
    for (size, m) in &rows {
        let (lo, hi) = m.spread(1, 0);
        let (lo2, hi2) = m.spread(0, 2);
        let (lo3, hi3) = m.spread(1, 3);
        println!(
            "  {:>6}  {:>10.3?}  {:>16.3?}  {:>10.3}x [{lo:.2}-{hi:.2}]  {:>13.3?}  {:>19.3?}  {:>8.3}x [{lo2:.2}-{hi2:.2}]  {:>8.3}x [{lo3:.2}-{hi3:.2}]",
            if *size >= 1024 { format!("{} KiB", size / 1024) } else { format!("{size} B") },
            m.time(0),
            m.time(1),
            m.ratio(1, 0),
            m.time(2),
            m.time(3),
            m.ratio(0, 2),
            m.ratio(1, 3),
        );
    }
    println!("  (goal: standardwebhooks/hookwarden at least 4x at 1 KiB)\n");
}
