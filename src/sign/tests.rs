use std::time::{Duration, UNIX_EPOCH};

use hmac::{KeyInit, Mac};

use super::*;
use crate::{Verifier, MITPO_EVENT};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn mittr_signs_timestamp_dot_body() {
    let s = Signer::new(Scheme::mittr(), "k").unwrap();
    let expected = hmac_hex(b"k", b"1700000000.hello");
    let h = s.sign(1_700_000_000, b"hello");
    assert_eq!(
        h.get(&crate::MITTR_SIGNATURE).unwrap(),
        &format!("v1={expected}")
    );
    assert_eq!(h.get(&crate::MITTR_TIMESTAMP).unwrap(), "1700000000");
}

#[test]
fn mitpo_signs_the_body_alone_with_the_whole_secret() {
    let s = Signer::new(Scheme::mitpo(), "It's a Secret to Everybody").unwrap();
    let h = s.sign(1, b"Hello, World!");
    assert_eq!(
        h.get(&crate::MITPO_SIGNATURE).unwrap(),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[test]
fn stripe_writes_the_timestamp_in_the_signature_header() {
    let s = Signer::new(Scheme::stripe(), "whsec_x").unwrap();
    let h = s.sign(1_700_000_000, b"{}");
    let expected = hmac_hex(b"whsec_x", b"1700000000.{}");
    assert_eq!(
        h.get(&crate::scheme::STRIPE_SIGNATURE).unwrap(),
        &format!("t=1700000000,v1={expected}")
    );
    assert_eq!(h.iter().count(), 1);
}

#[test]
fn standard_webhooks_signs_id_timestamp_body_with_the_decoded_secret() {
    // The svix `test_sign` vector (svix-webhooks rust/src/webhooks.rs).
    let s = Signer::new(
        Scheme::standard_webhooks(),
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
    )
    .unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let h = s
        .sign_with_id(1_649_367_553, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", body)
        .unwrap();
    assert_eq!(
        h.get(&crate::scheme::WEBHOOK_SIGNATURE).unwrap(),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
    assert_eq!(
        h.get(&crate::scheme::WEBHOOK_ID).unwrap(),
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"
    );
    assert_eq!(
        h.get(&crate::scheme::WEBHOOK_TIMESTAMP).unwrap(),
        "1649367553"
    );
    assert!(s.sign_with_id(1, "bad\nid", body).is_err());
    assert!(s.sign_with_id(1, "", body).is_err());
    assert!(
        s.sign_with_id(1, " msg_1 ", body).is_err(),
        "a receiver trims the id"
    );
}

#[test]
fn rotation_signs_with_every_secret() {
    let s = Signer::new(Scheme::mittr(), "a")
        .unwrap()
        .and_secret("b")
        .unwrap();
    let h = s.sign(5, b"x");
    let value = h
        .get(&crate::MITTR_SIGNATURE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        value,
        format!(
            "v1={},v1={}",
            hmac_hex(b"a", b"5.x"),
            hmac_hex(b"b", b"5.x")
        )
    );
    assert!(Signer::new(Scheme::shopify(), "a")
        .unwrap()
        .and_secret("b")
        .is_err());
}

#[test]
fn every_preset_round_trips() {
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        // RFC 8032's first test key pair (hex) for Discord's Ed25519.
        let (signing, secret) = match scheme.methods()[0].key_format() {
            crate::scheme::KeyFormat::Raw => ("whsec_round", "whsec_round"),
            crate::scheme::KeyFormat::Hex => (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            ),
            _ => (
                "whsec_cm91bmQtdHJpcC1zZWNyZXQ=",
                "whsec_cm91bmQtdHJpcC1zZWNyZXQ=",
            ),
        };
        let signer = Signer::new(scheme.clone(), signing).unwrap();
        let verifier = Verifier::builder(scheme).secret(secret).build().unwrap();
        for body in [&b""[..], b"{}", &[0u8, 255, 10, 13][..]] {
            let h = signer.sign(1_000_000, body).to_header_map();
            let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
            let ok = verifier.verify_at(&h, body, now);
            assert!(ok.is_ok(), "{name}: {ok:?}");
        }
    }
}

#[test]
fn event_type_goes_in_the_event_header() {
    let s = Signer::new(Scheme::mitpo(), "k")
        .unwrap()
        .with_event_type("dispatch.completed")
        .unwrap();
    assert_eq!(
        s.sign(1, b"").get(&MITPO_EVENT).unwrap(),
        "dispatch.completed"
    );
    assert!(Signer::new(Scheme::mitpo(), "k")
        .unwrap()
        .with_event_type("bad\n")
        .is_err());
    assert!(Signer::new(Scheme::mitpo(), "").is_err());
}

#[test]
fn a_secret_that_is_not_a_key_of_the_scheme_is_refused() {
    let err = Signer::new(Scheme::standard_webhooks(), "whsec_not base64!").unwrap_err();
    assert!(
        matches!(err, ConfigError::InvalidSecret { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn debug_hides_the_key() {
    let s = Signer::new(Scheme::mitpo(), "whsec_topsecret").unwrap();
    assert!(!format!("{s:?}").contains("topsecret"));
}

#[test]
fn timestamps_are_written_in_the_schemes_format() {
    let twitch = Signer::new(Scheme::twitch(), "s3cret-s3cret").unwrap();
    let h = twitch.sign(1_627_207_200, b"{}");
    let ts = h.get(&crate::scheme::TWITCH_TIMESTAMP).unwrap();
    assert_eq!(ts, "2021-07-25T10:00:00Z");
    let expected = hmac_hex(
        b"s3cret-s3cret",
        b"msg_1"
            .iter()
            .chain(b"2021-07-25T10:00:00Z{}")
            .copied()
            .collect::<Vec<u8>>()
            .as_slice(),
    );
    let exact = twitch
        .sign_with_timestamp_text("2021-07-25T10:00:00Z", Some("msg_1"), b"{}")
        .unwrap();
    let signature = exact.get(&crate::scheme::TWITCH_SIGNATURE).unwrap();
    assert_eq!(signature, &format!("sha256={expected}"));
    let millis = Scheme::mittr()
        .into_builder()
        .timestamp_format(crate::scheme::TimestampFormat::UnixMillis)
        .build()
        .unwrap();
    let h = Signer::new(millis.clone(), "k")
        .unwrap()
        .sign(1_700_000_000, b"x");
    assert_eq!(h.get(&crate::MITTR_TIMESTAMP).unwrap(), "1700000000000");
    let verifier = Verifier::builder(millis).secret("k").build().unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert!(verifier.verify_at(&h.to_header_map(), b"x", now).is_ok());
}

#[test]
fn a_timestamp_text_the_scheme_would_not_read_is_refused() {
    let twitch = Signer::new(Scheme::twitch(), "s3cret-s3cret").unwrap();
    for bad in [
        "1627207200",
        " 2021-07-25T10:00:00Z",
        "2021-07-25T10:00:00",
        "",
    ] {
        let e = twitch.sign_with_timestamp_text(bad, Some("msg_1"), b"{}");
        assert!(matches!(e, Err(ConfigError::InvalidTimestamp)), "{bad:?}");
    }
    let mittr = Signer::new(Scheme::mittr(), "k").unwrap();
    let e = mittr.sign_with_timestamp_text("2021-07-25T10:00:00Z", None, b"{}");
    assert!(matches!(e, Err(ConfigError::InvalidTimestamp)));
    assert!(mittr.sign_with_timestamp_text("0170", None, b"{}").is_ok());
}
