//! Every preset's replay key against its provider's retry: a retry signed
//! anew (a later timestamp; for presets keyed on a JSON field, a body that
//! differs elsewhere, as Mux's `attempts` or Coinbase's attempt number do;
//! for presets keyed on a signed id, the same id) of a processed delivery
//! is refused `replayed`, and another event is not. Presets keyed on the
//! signed message (Mittr, Buildkite, Zendesk) document that such a retry is
//! processed again: checked too, so that the table in docs/schemes.md stays
//! true. Through the verifier's own default store (`verify_at`, then
//! `claim` and `commit`, as every adapter does).

mod common;

use std::time::{Duration, UNIX_EPOCH};

use hookwarden::scheme::{ReplayBasis, Scheme};
use hookwarden::{Error, Signer, Verifier};
use serde_json::{json, Value};

const T0: u64 = 1_764_071_982;

fn keys(scheme: &Scheme) -> (&'static str, &'static str) {
    common::keys::keys_for(
        scheme,
        "whsec_preset-keys-secret",
        "whsec_cHJlc2V0LWtleXMtc2VjcmV0LWJ5dGVz",
    )
}

/// A JSON body whose field at `pointer` (if any) holds `id`, with `extra`
/// beside it (what a provider changes between attempts).
fn body(pointer: Option<&str>, id: &str, extra: u32) -> Vec<u8> {
    let mut value = json!({ "attempt": extra, "id_elsewhere": id });
    if let Some(pointer) = pointer {
        let mut at = &mut value;
        let tokens: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        for (i, token) in tokens.iter().enumerate() {
            let last = i + 1 == tokens.len();
            let next = if last { json!(id) } else { json!({}) };
            at = at.as_object_mut().unwrap().entry(*token).or_insert(next);
        }
        assert_eq!(value.pointer(pointer), Some(&Value::from(id)));
    }
    serde_json::to_vec(&value).unwrap()
}

/// Verifies a delivery signed at `at` (with `id` where the scheme sends
/// one) and claims it: `Ok` once committed, or the claim's refusal.
async fn deliver(
    verifier: &Verifier,
    signer: &Signer,
    at: u64,
    id: &str,
    body: &[u8],
) -> Result<(), Error> {
    let headers = match verifier.scheme().delivery_id_headers().first() {
        Some(_) if verifier.scheme().signs_delivery_id() => {
            signer.sign_with_id(at, id, body).unwrap()
        }
        _ => signer.sign(at, body),
    }
    .to_header_map();
    let now = UNIX_EPOCH + Duration::from_secs(at + 1);
    let delivery = verifier.verify_at(&headers, body, now).expect("verifies");
    let replay = verifier.replay_protection().expect("protected by default");
    let lease = replay.claim(&delivery).await?.expect("a lease");
    lease.commit().await;
    Ok(())
}

#[tokio::test]
async fn every_presets_key_refuses_its_providers_retry() {
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        let (signing, secret) = keys(&scheme);
        let signer = Signer::new(scheme.clone(), signing).unwrap();
        let verifier = Verifier::builder(scheme.clone())
            .secret(secret)
            .build()
            .unwrap();
        let (pointer, retry_body_differs) = match scheme.replay_basis() {
            ReplayBasis::JsonPointer(p) => (Some(p.as_str().to_owned()), true),
            _ => (None, false),
        };
        let first = body(pointer.as_deref(), "evt_1", 1);
        let retry = if retry_body_differs {
            body(pointer.as_deref(), "evt_1", 2)
        } else {
            first.clone()
        };
        let other = body(pointer.as_deref(), "evt_2", 3);
        deliver(&verifier, &signer, T0, "msg_1", &first)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = deliver(&verifier, &signer, T0 + 4, "msg_1", &retry).await;
        match scheme.replay_basis() {
            ReplayBasis::Message => assert!(
                again.is_ok(),
                "{name}: keyed on the signed message, a re-signed retry is new"
            ),
            _ => assert!(matches!(again, Err(Error::Replayed)), "{name}: {again:?}"),
        }
        let another = deliver(&verifier, &signer, T0 + 4, "msg_2", &other).await;
        assert!(another.is_ok(), "{name}: another event: {another:?}");
    }
}
