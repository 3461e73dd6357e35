use super::*;
use crate::config_error::ConfigError;

#[test]
fn default_header_names_match_the_providers() {
    assert_eq!(Scheme::mittr().signature_header(), "x-mittr-signature");
    assert_eq!(
        Scheme::mittr().timestamp_header().unwrap(),
        "x-mittr-timestamp"
    );
    assert_eq!(Scheme::mittr().event_header(), None);
    assert_eq!(Scheme::mitpo().signature_header(), "x-mitpo-signature");
    assert_eq!(
        Scheme::mitpo().timestamp_header().unwrap(),
        "x-mitpo-timestamp"
    );
    assert_eq!(Scheme::mitpo().event_header().unwrap(), "x-mitpo-event");
    assert_eq!(
        Scheme::stripe().timestamp_header().unwrap(),
        "stripe-signature"
    );
    assert_eq!(Scheme::github().timestamp_header(), None);
    assert_eq!(Scheme::shopify().timestamp_header(), None);
    let svix = Scheme::svix();
    let svix: Vec<&str> = svix
        .signature_headers()
        .iter()
        .map(|h| h.as_str())
        .collect();
    assert_eq!(svix, ["svix-signature", "webhook-signature"]);
}

#[test]
fn which_schemes_sign_the_timestamp_and_the_id() {
    let signs = |s: Scheme| (s.signs_timestamp(), s.signs_delivery_id());
    assert_eq!(signs(Scheme::mittr()), (true, false));
    assert_eq!(signs(Scheme::mitpo()), (false, false));
    assert_eq!(signs(Scheme::stripe()), (true, false));
    assert_eq!(signs(Scheme::standard_webhooks()), (true, true));
    assert_eq!(signs(Scheme::github()), (false, false));
    assert_eq!(signs(Scheme::slack()), (true, false));
    assert_eq!(signs(Scheme::shopify()), (false, false));
    assert_eq!(
        Scheme::standard_webhooks().replay_basis(),
        &ReplayBasis::DeliveryId
    );
    assert_eq!(Scheme::mittr().replay_basis(), &ReplayBasis::Message);
}

#[test]
fn every_preset_is_found_by_name() {
    for name in Scheme::PRESETS {
        assert_eq!(Scheme::preset(name).unwrap().name(), *name);
    }
    assert!(Scheme::preset("stripe ").is_none());
}

fn invalid(builder: SchemeBuilder) -> &'static str {
    match builder.build() {
        Err(ConfigError::InvalidScheme { reason }) => reason,
        other => panic!("expected an invalid scheme, got {other:?}"),
    }
}

fn base() -> SchemeBuilder {
    Scheme::builder("acme")
        .signature_header(http::HeaderName::from_static("x-acme-signature"))
        .method(Method::hmac_sha256("v1"))
        .message([Part::Body])
}

#[test]
fn the_builder_refuses_inconsistent_descriptions() {
    assert!(base().build().is_ok());
    assert_eq!(
        invalid(
            Scheme::builder("x")
                .method(Method::hmac_sha256("v1"))
                .message([Part::Body])
        ),
        "no signature header"
    );
    assert_eq!(
        invalid(base().message([])),
        "the signed message must end with the body, once"
    );
    assert_eq!(
        invalid(base().message([Part::Body, Part::DOT])),
        "the signed message must end with the body, once"
    );
    assert_eq!(
        invalid(base().message([Part::Timestamp, Part::Body])),
        "the message signs a timestamp the scheme has no header for"
    );
    assert_eq!(
        invalid(base().message([Part::DeliveryId, Part::Body])),
        "the message signs a delivery id the scheme has no header for"
    );
    assert_eq!(
        invalid(base().method(Method::hmac_sha256("v1"))),
        "two signing methods share a label"
    );
    assert_eq!(
        invalid(base().timestamp_entry("v1")),
        "the timestamp entry's label is not distinct from the signatures'"
    );
    assert_eq!(
        invalid(base().replay_basis(ReplayBasis::DeliveryId)),
        "the replay basis is the delivery id, which the message does not sign"
    );
    assert!(base()
        .replay_basis(ReplayBasis::json_pointer("/data/object/id"))
        .build()
        .is_ok());
    assert!(base()
        .replay_basis(ReplayBasis::json_pointer("/"))
        .build()
        .is_ok());
    for bad in ["", "id", "/a~2", "/a~"] {
        assert!(
            invalid(base().replay_basis(ReplayBasis::json_pointer(bad))).contains("JSON pointer"),
            "{bad:?}"
        );
    }
    assert_eq!(
        invalid(
            base()
                .signature_format(SignatureFormat::bare(""))
                .method(Method::hmac_sha256("v2"))
        ),
        "bare signature values allow one signing method only"
    );
}

#[test]
fn long_labels_are_shown_cut() {
    let shape = EntryShape::timestamp("a-very-long-label", Some(b'='));
    assert_eq!(shape.to_string(), "a-very-long-…=<unix seconds>");
    assert_eq!(
        EntryShape::timestamp("t", Some(b'=')).to_string(),
        "t=<unix seconds>"
    );
    assert_eq!(
        EntryShape::signature(&Scheme::shopify()).to_string(),
        "<base64>"
    );
}
