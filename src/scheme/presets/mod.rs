//! The presets: one function per provider, each with its reference and the
//! places where hookwarden is stricter than the provider's own library.
//! `tests/data/providers/` holds the providers' published test vectors, and
//! `tests/providers.rs` runs every case against these descriptions.

use std::time::Duration;

use http::HeaderName;

use super::{
    Algorithm, Encoding, JsonPointer, KeyFormat, Method, OnInvalid, Part, ReplayBasis, Scheme,
    SchemeBuilder, SignatureFormat,
};
use crate::time::Tolerance;

mod body;
mod timestamped;

pub use body::*;
pub use timestamped::*;

/// `X-Mittr-Signature`: `v1=<hex>` entries.
pub const MITTR_SIGNATURE: HeaderName = HeaderName::from_static("x-mittr-signature");
/// `X-Mittr-Timestamp`: unix seconds, covered by the signature.
pub const MITTR_TIMESTAMP: HeaderName = HeaderName::from_static("x-mittr-timestamp");
/// `X-MITPO-Signature`: `sha256=<hex>` entries.
pub const MITPO_SIGNATURE: HeaderName = HeaderName::from_static("x-mitpo-signature");
/// `X-MITPO-Timestamp`: unix seconds, **not** covered by the signature.
pub const MITPO_TIMESTAMP: HeaderName = HeaderName::from_static("x-mitpo-timestamp");
/// `X-MITPO-Event`: the event type, **not** covered by the signature.
pub const MITPO_EVENT: HeaderName = HeaderName::from_static("x-mitpo-event");
/// `Stripe-Signature`: `t=<unix>,v1=<hex>[,v1=<hex>…]`.
pub const STRIPE_SIGNATURE: HeaderName = HeaderName::from_static("stripe-signature");
/// `webhook-id`: the Standard Webhooks message id, signed.
pub const WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
/// `webhook-timestamp`: unix seconds, signed.
pub const WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
/// `webhook-signature`: space-separated `v1,<base64>` / `v1a,<base64>` entries.
pub const WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");
/// `svix-id`: Svix's name for `webhook-id`.
pub const SVIX_ID: HeaderName = HeaderName::from_static("svix-id");
/// `svix-timestamp`: Svix's name for `webhook-timestamp`.
pub const SVIX_TIMESTAMP: HeaderName = HeaderName::from_static("svix-timestamp");
/// `svix-signature`: Svix's name for `webhook-signature`.
pub const SVIX_SIGNATURE: HeaderName = HeaderName::from_static("svix-signature");
/// `X-Hub-Signature-256`: `sha256=<hex>` over the body.
pub const GITHUB_SIGNATURE: HeaderName = HeaderName::from_static("x-hub-signature-256");
/// `X-GitHub-Delivery`: the delivery's GUID, **not** signed.
pub const GITHUB_DELIVERY: HeaderName = HeaderName::from_static("x-github-delivery");
/// `X-GitHub-Event`: the event name, **not** signed.
pub const GITHUB_EVENT: HeaderName = HeaderName::from_static("x-github-event");
/// `X-Slack-Signature`: `v0=<hex>`.
pub const SLACK_SIGNATURE: HeaderName = HeaderName::from_static("x-slack-signature");
/// `X-Slack-Request-Timestamp`: unix seconds, signed.
pub const SLACK_TIMESTAMP: HeaderName = HeaderName::from_static("x-slack-request-timestamp");
/// `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the body.
pub const SHOPIFY_HMAC: HeaderName = HeaderName::from_static("x-shopify-hmac-sha256");
/// `shopify-hmac-sha256`: the events-style name, read when the classic one is absent.
pub const SHOPIFY_EVENTS_HMAC: HeaderName = HeaderName::from_static("shopify-hmac-sha256");
/// `X-Shopify-Topic`: the event topic, **not** signed.
pub const SHOPIFY_TOPIC: HeaderName = HeaderName::from_static("x-shopify-topic");
/// `X-Shopify-Webhook-Id`: the delivery id, **not** signed.
pub const SHOPIFY_WEBHOOK_ID: HeaderName = HeaderName::from_static("x-shopify-webhook-id");

const DAY: Duration = Duration::from_secs(24 * 3600);

/// One preset: its name (as `--scheme` takes it), how it is built, and its
/// provider's name as people write it.
pub(crate) struct Entry {
    pub(crate) name: &'static str,
    pub(crate) build: fn() -> Scheme,
    // Read by the diagnosis's hints (feature `diagnose`).
    #[cfg_attr(not(feature = "diagnose"), allow(dead_code))]
    pub(crate) provider: &'static str,
}

impl Entry {
    const fn new(name: &'static str, build: fn() -> Scheme, provider: &'static str) -> Self {
        Entry {
            name,
            build,
            provider,
        }
    }
}

/// Every preset, in the CLI's order: the one list [`Scheme::PRESETS`],
/// [`Scheme::preset`] and the diagnosis's provider names are read from.
pub(crate) const CATALOGUE: [Entry; 45] = [
    Entry::new("mittr", Scheme::mittr, "Mittr"),
    Entry::new("mitpo", Scheme::mitpo, "MITPO"),
    Entry::new("stripe", Scheme::stripe, "Stripe"),
    Entry::new(
        "standard-webhooks",
        Scheme::standard_webhooks,
        "Standard Webhooks",
    ),
    Entry::new("svix", Scheme::svix, "Svix"),
    Entry::new("github", Scheme::github, "GitHub"),
    Entry::new("slack", Scheme::slack, "Slack"),
    Entry::new("shopify", Scheme::shopify, "Shopify"),
    Entry::new("clerk", Scheme::clerk, "Clerk"),
    Entry::new("resend", Scheme::resend, "Resend"),
    Entry::new("paddle", Scheme::paddle, "Paddle"),
    Entry::new("mux", Scheme::mux, "Mux"),
    Entry::new("calendly", Scheme::calendly, "Calendly"),
    Entry::new("buildkite", Scheme::buildkite, "Buildkite"),
    Entry::new("zoom", Scheme::zoom, "Zoom"),
    Entry::new("bitbucket", Scheme::bitbucket, "Bitbucket"),
    Entry::new("intercom", Scheme::intercom, "Intercom"),
    Entry::new(
        "coinbase-commerce",
        Scheme::coinbase_commerce,
        "Coinbase Commerce",
    ),
    Entry::new("lemon-squeezy", Scheme::lemon_squeezy, "Lemon Squeezy"),
    Entry::new("pagerduty", Scheme::pagerduty, "PagerDuty"),
    Entry::new("typeform", Scheme::typeform, "Typeform"),
    Entry::new("woocommerce", Scheme::woocommerce, "WooCommerce"),
    Entry::new("heroku", Scheme::heroku, "Heroku"),
    Entry::new("twitch", Scheme::twitch, "Twitch"),
    Entry::new("zendesk", Scheme::zendesk, "Zendesk"),
    Entry::new("sentry", Scheme::sentry, "Sentry"),
    Entry::new("vercel", Scheme::vercel, "Vercel"),
    Entry::new("xero", Scheme::xero, "Xero"),
    Entry::new("dropbox", Scheme::dropbox, "Dropbox"),
    Entry::new("circleci", Scheme::circleci, "CircleCI"),
    Entry::new("meta", Scheme::meta, "Meta"),
    Entry::new("twitter", Scheme::twitter, "X (Twitter)"),
    Entry::new("terraform", Scheme::terraform, "Terraform"),
    Entry::new("launchdarkly", Scheme::launchdarkly, "LaunchDarkly"),
    Entry::new("alchemy", Scheme::alchemy, "Alchemy"),
    Entry::new("tiktok", Scheme::tiktok, "TikTok"),
    Entry::new(
        "modern-treasury",
        Scheme::modern_treasury,
        "Modern Treasury",
    ),
    Entry::new("webflow", Scheme::webflow, "Webflow"),
    Entry::new("aftership", Scheme::aftership, "AfterShip"),
    Entry::new("castle", Scheme::castle, "Castle"),
    Entry::new("chargify", Scheme::chargify, "Chargify"),
    Entry::new("worldline", Scheme::worldline, "Worldline"),
    Entry::new("webex", Scheme::webex, "Webex"),
    Entry::new("bolt", Scheme::bolt, "Bolt"),
    Entry::new("discord", Scheme::discord, "Discord"),
];

/// The names of `catalogue`, in order (for [`Scheme::PRESETS`]).
pub(crate) const fn names<const N: usize>(catalogue: &[Entry; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = catalogue[i].name;
        i += 1;
    }
    out
}

/// The provider's name of the preset called `name`, if there is one.
#[cfg(feature = "diagnose")]
pub(crate) fn provider_of(name: &str) -> Option<&'static str> {
    CATALOGUE
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.provider)
}

/// Builds a preset; the presets are fixed descriptions, checked by the tests.
fn preset(builder: SchemeBuilder) -> Scheme {
    match builder.build() {
        Ok(scheme) => scheme,
        Err(e) => unreachable!("a preset is a valid scheme: {e}"),
    }
}

/// `<timestamp>.<body>`
fn timestamp_dot_body() -> [Part; 3] {
    [Part::Timestamp, Part::DOT, Part::Body]
}

impl Scheme {
    /// Mittr: `X-Mittr-Signature: v1=<hex>` (HMAC-SHA256, raw secret) over
    /// `<timestamp>.<body>`, the timestamp in `X-Mittr-Timestamp`. Entries
    /// are separated by commas or whitespace; one that is not 64 hex digits
    /// makes the header malformed; an empty header is malformed too (as
    /// Mittr's reference vectors say). 300 s each way.
    ///
    /// **Retries and replay key**: Mittr retries failed deliveries with
    /// exponential backoff, then moves them to a dead-letter queue from
    /// which they can be replayed by hand; its documentation gives neither
    /// the schedule nor the delivery body's shape, and no delivery id
    /// header. Each attempt is signed anew (hookwarden's own dispatcher
    /// signs every attempt with a fresh timestamp). The key stays the
    /// signed message ([`ReplayBasis::Message`]), so two distinct events
    /// whose bodies happen to be equal are never taken for one; a retry
    /// after a lost response is then a new key, and records live the
    /// window and one second (601 s). When your payloads carry an event id
    /// (as those hookwarden's dispatcher sends do, under `id`), key on it
    /// and keep records as long as Mittr may retry:
    ///
    /// ```
    /// use std::time::Duration;
    /// use hookwarden::scheme::{ReplayBasis, Scheme};
    ///
    /// let scheme = Scheme::mittr()
    ///     .into_builder()
    ///     .replay_basis(ReplayBasis::json_pointer("/id"))
    ///     .replay_record_ttl(Duration::from_secs(3 * 24 * 3600))
    ///     .build()?;
    /// # Ok::<(), hookwarden::ConfigError>(())
    /// ```
    pub fn mittr() -> Self {
        preset(
            Scheme::builder("mittr")
                .signature_header(MITTR_SIGNATURE)
                .method(Method::hmac_sha256("v1"))
                .timestamp_header(MITTR_TIMESTAMP)
                .message(timestamp_dot_body())
                .empty_is_missing(false),
        )
    }

    /// MITPO: `X-MITPO-Signature: sha256=<hex>` (HMAC-SHA256 keyed with the
    /// whole `whsec_…` secret) over the body alone; `X-MITPO-Timestamp` is
    /// required and checked for freshness but **not signed**, and
    /// `X-MITPO-Event` is unsigned too. Entry rules as Mittr's.
    ///
    /// **Retries and replay key**: MITPO documents no retries and no
    /// delivery id. The key is the body ([`ReplayBasis::Body`], the signed
    /// message itself): a body re-sent with a fresh (unsigned) timestamp is
    /// the same delivery. Since the freshness check does not bound a signed
    /// copy's life, records live a day.
    pub fn mitpo() -> Self {
        preset(
            Scheme::builder("mitpo")
                .signature_header(MITPO_SIGNATURE)
                .method(Method::hmac_sha256("sha256"))
                .timestamp_header(MITPO_TIMESTAMP)
                .event_header(MITPO_EVENT)
                .message([Part::Body])
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(DAY)
                .empty_is_missing(false),
        )
    }

    /// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>` over `<t>.<body>`,
    /// HMAC-SHA256 keyed with the whole `whsec_…` secret
    /// (<https://docs.stripe.com/webhooks#verify-manually>, stripe-node
    /// `src/Webhooks.ts`). As stripe-node: entries split on `,` only (no
    /// trimming: `t=1, v1=…` has no `v1`), `v0` and unknown entries
    /// ignored, an undecodable or wrong-length `v1` just fails to match
    /// (`v1=potato` beside a valid entry verifies), no `t` or no `v1` is
    /// malformed, an empty header is missing.
    ///
    /// Stricter than stripe-node: `t` must be ASCII digits (stripe-node
    /// reads `123abc` as 123), appear once, and lie at most 300 s in the
    /// **future** too (stripe-node never rejects a future timestamp);
    /// widen [`future_tolerance`](crate::VerifierBuilder::future_tolerance)
    /// to follow it.
    ///
    /// **Retries and replay key**: Stripe retries an undelivered live-mode
    /// event with exponential backoff for up to 3 days
    /// (<https://docs.stripe.com/webhooks#retries>), signing each attempt
    /// with a fresh `t`. The key is the event's id, the body's `/id`
    /// (`evt_…`, [`ReplayBasis::JsonPointer`]): a retry after a lost
    /// response is the same delivery, refused 409 `replayed`. Records live
    /// 3 days.
    pub fn stripe() -> Self {
        preset(
            Scheme::builder("stripe")
                .signature_header(STRIPE_SIGNATURE)
                .signature_format(lenient(SignatureFormat::labeled(b'=', ",")))
                .method(Method::hmac_sha256("v1"))
                .timestamp_entry("t")
                .message(timestamp_dot_body())
                .replay_basis(ReplayBasis::JsonPointer(JsonPointer::from_static("/id")))
                .replay_record_ttl(3 * DAY),
        )
    }

    /// Standard Webhooks (<https://www.standardwebhooks.com>, spec
    /// `spec/standard-webhooks.md`): `webhook-signature` holds
    /// space-separated `v1,<base64>` entries, HMAC-SHA256 over
    /// `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64
    /// secret after an optional `whsec_` (padded or not). With feature
    /// `ed25519`, `v1a,<base64>` entries are Ed25519 signatures checked
    /// with `whpk_…` public keys (sign with `whsk_…`: a 32-byte seed or a
    /// 64-byte seed‖public key). Any valid entry verifies; undecodable ones
    /// just fail to match. 300 s each way. The replay key is the signed
    /// `webhook-id`, as the spec asks: a retry re-signed with a new
    /// timestamp is the same delivery.
    ///
    /// **Retries**: the spec's schedule (Svix's) retries after 5 s, 5 min,
    /// 30 min, 2 h, 5 h, 10 h and 10 h: about 27.6 hours in all. Records of
    /// the signed `webhook-id` live 2 days.
    ///
    /// A secret used as raw bytes (not base64) never verifies, and a
    /// `whpk_` key ignores `v1` entries (and an HMAC secret `v1a` ones).
    ///
    /// **Keep the `whpk_` prefix on public keys**: without it a public key
    /// is taken as an HMAC `v1` secret (the two look alike), and anyone who
    /// knows the public key could sign `v1` entries. Each `v1a` entry costs
    /// a pass over the body per public key (at most 4 entries are read):
    /// keep the public keys per verifier, or per tenant, few.
    pub fn standard_webhooks() -> Self {
        preset(standard_webhooks_builder(
            "standard-webhooks",
            &[],
            &[],
            &[],
            true,
        ))
    }

    /// Svix: Standard Webhooks under `svix-id`, `svix-timestamp` and
    /// `svix-signature`, each falling back to its `webhook-*` name (as the
    /// svix libraries read them, per header). Everything else as
    /// [`Scheme::standard_webhooks`], its retries and replay key included.
    pub fn svix() -> Self {
        preset(standard_webhooks_builder(
            "svix",
            &[SVIX_ID],
            &[SVIX_TIMESTAMP],
            &[SVIX_SIGNATURE],
            true,
        ))
    }

    /// Clerk (<https://clerk.com/docs/webhooks/sync-data>, clerk/javascript
    /// `verifyWebhook`): Svix delivers its events, so Standard Webhooks
    /// under the `svix-id`, `svix-timestamp` and `svix-signature` names
    /// only (Clerk's library ignores the `webhook-*` names), keyed with the
    /// `whsec_…` signing secret. Standard Webhooks' Ed25519 `v1a` entries
    /// are read too (with a `whpk_` key), though Clerk does not send them. 300 s each way; Clerk's own tests send
    /// fractional timestamps its library accepts, which are malformed here
    /// (a timestamp is ASCII digits).
    ///
    /// **Retries and replay key**: Svix's schedule (about 28 hours, each
    /// attempt re-signed with the same `svix-id`); the key is the signed
    /// `svix-id` and records live 2 days, as for [`Scheme::svix`].
    pub fn clerk() -> Self {
        preset(standard_webhooks_builder(
            "clerk",
            &[SVIX_ID],
            &[SVIX_TIMESTAMP],
            &[SVIX_SIGNATURE],
            false,
        ))
    }

    /// Resend (<https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests>,
    /// resend/resend-node `webhooks.verify`): Svix delivers its events, so
    /// Standard Webhooks under the `svix-*` names only, keyed with the
    /// `whsec_…` signing secret; 300 s each way. Standard Webhooks' Ed25519
    /// `v1a` entries are read too (with a `whpk_` key), though Resend does
    /// not send them.
    ///
    /// **Retries and replay key**: Svix's schedule (at once, 5 s, 5 min,
    /// 30 min, 2 h, 5 h, 10 h, 10 h, each attempt re-signed with the same
    /// `svix-id`); the key is the signed `svix-id` and records live 2 days.
    pub fn resend() -> Self {
        preset(standard_webhooks_builder(
            "resend",
            &[SVIX_ID],
            &[SVIX_TIMESTAMP],
            &[SVIX_SIGNATURE],
            false,
        ))
    }

    /// GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the body
    /// with the secret's bytes
    /// (<https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries>,
    /// octokit/webhooks-methods). One entry, the whole header; a value
    /// that is not hex, or another prefix (`sha1=`, `SHA256=`), is
    /// malformed; hex of the wrong length does not match. The legacy SHA-1
    /// `X-Hub-Signature` is never read (go-github falls back to it).
    ///
    /// **No timestamp**: nothing bounds a delivery's age, so replay
    /// protection needs an explicit TTL and is the only defence against a
    /// captured delivery. `X-GitHub-Delivery` (a GUID, unsigned) and
    /// `X-GitHub-Event` (unsigned) are passed on.
    ///
    /// **Retries and replay key**: GitHub does not retry failed deliveries
    /// by itself; a delivery of the past 3 days can be redelivered by hand
    /// (or through the API), with the same body. The key is the body
    /// ([`ReplayBasis::Body`], the signed message itself; the unsigned
    /// `X-GitHub-Delivery` never feeds a key), and records live 3 days.
    pub fn github() -> Self {
        preset(
            Scheme::builder("github")
                .signature_header(GITHUB_SIGNATURE)
                .signature_format(
                    SignatureFormat::labeled(b'=', "").on_wrong_length(OnInvalid::NoMatch),
                )
                .method(Method::hmac_sha256("sha256"))
                .delivery_id_header(GITHUB_DELIVERY)
                .event_header(GITHUB_EVENT)
                .message([Part::Body])
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(3 * DAY),
        )
    }

    /// Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 with the signing
    /// secret's bytes over `v0:<X-Slack-Request-Timestamp>:<body>`
    /// (<https://api.slack.com/authentication/verifying-requests-from-slack>,
    /// python-slack-sdk). A `v0` value that is not 64 hex digits just
    /// fails to match (the SDKs compare strings); no `v0` entry is
    /// malformed. 300 s each way (bolt-js only rejects stale ones).
    ///
    /// **Retries and replay key**: the Events API retries a delivery that
    /// failed or took over 3 s up to 3 times, within minutes (at once,
    /// after a minute, after 5 minutes), signing each attempt anew. The key
    /// is the envelope's `/event_id` ([`ReplayBasis::JsonPointer`]), so a
    /// retry is the same delivery; requests without one (slash commands and
    /// interactivity are form-encoded, `url_verification` has no
    /// `event_id`) are keyed by their signed message, as before (counted in
    /// `hookwarden_replay_key_fallbacks_total`). Records live a day, far
    /// beyond the retries.
    pub fn slack() -> Self {
        preset(
            Scheme::builder("slack")
                .signature_header(SLACK_SIGNATURE)
                .signature_format(lenient(SignatureFormat::labeled(b'=', ", \t")))
                .method(Method::hmac_sha256("v0"))
                .timestamp_header(SLACK_TIMESTAMP)
                .message([
                    Part::literal(&b"v0:"[..]),
                    Part::Timestamp,
                    Part::literal(&b":"[..]),
                    Part::Body,
                ])
                .replay_basis(ReplayBasis::JsonPointer(JsonPointer::from_static(
                    "/event_id",
                )))
                .replay_record_ttl(DAY),
        )
    }

    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 of the body
    /// with the app's secret (<https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook>,
    /// Shopify/shopify-app-js). The events-style `shopify-hmac-sha256` is
    /// read when `X-Shopify-Hmac-Sha256` is absent (shopify-app-js prefers
    /// it when both are sent; Shopify then sends the same HMAC in both, and
    /// a signer writes the classic one). A value that does not decode simply
    /// does not match.
    ///
    /// **No timestamp**: as for GitHub, replay protection needs an explicit
    /// TTL. `X-Shopify-Webhook-Id` (unsigned) and `X-Shopify-Topic`
    /// (unsigned) are passed on.
    ///
    /// **Retries and replay key**: Shopify retries a failed delivery 8
    /// times over 4 hours, with the original payload. The key is the body
    /// ([`ReplayBasis::Body`], the signed message itself; the unsigned
    /// `X-Shopify-Webhook-Id` never feeds a key), and records live a day.
    pub fn shopify() -> Self {
        preset(
            Scheme::builder("shopify")
                .signature_header(SHOPIFY_HMAC)
                .signature_header(SHOPIFY_EVENTS_HMAC)
                .signature_format(lenient(
                    SignatureFormat::bare("").encoding(Encoding::Base64),
                ))
                .method(Method::hmac_sha256("sha256"))
                .delivery_id_header(SHOPIFY_WEBHOOK_ID)
                .event_header(SHOPIFY_TOPIC)
                .message([Part::Body])
                .replay_basis(ReplayBasis::Body)
                .replay_record_ttl(DAY),
        )
    }
}

/// Entries that cannot be decoded, or have the wrong length, just fail to match.
fn lenient(format: SignatureFormat) -> SignatureFormat {
    format
        .on_undecodable(OnInvalid::NoMatch)
        .on_wrong_length(OnInvalid::NoMatch)
}

/// Standard Webhooks under the header names given, each followed by its
/// `webhook-*` name when `fallback` (Svix), or alone (Clerk, Resend: their
/// libraries read the `svix-*` names only).
fn standard_webhooks_builder(
    name: &'static str,
    ids: &[HeaderName],
    timestamps: &[HeaderName],
    signatures: &[HeaderName],
    fallback: bool,
) -> SchemeBuilder {
    let mut builder = Scheme::builder(name);
    for id in ids.iter().chain(fallback.then_some(&WEBHOOK_ID)) {
        builder = builder.delivery_id_header(id.clone());
    }
    for ts in timestamps
        .iter()
        .chain(fallback.then_some(&WEBHOOK_TIMESTAMP))
    {
        builder = builder.timestamp_header(ts.clone());
    }
    for sig in signatures
        .iter()
        .chain(fallback.then_some(&WEBHOOK_SIGNATURE))
    {
        builder = builder.signature_header(sig.clone());
    }
    builder
        .signature_format(lenient(
            SignatureFormat::labeled(b',', " ").encoding(Encoding::Base64),
        ))
        .method(Method::new(
            "v1",
            Algorithm::HmacSha256,
            KeyFormat::base64("whsec_"),
        ))
        .method(
            Method::new(
                "v1a",
                Algorithm::Ed25519,
                KeyFormat::base64_prefixed("whpk_"),
            )
            .with_signing_key(KeyFormat::base64_prefixed("whsk_")),
        )
        .message([
            Part::DeliveryId,
            Part::DOT,
            Part::Timestamp,
            Part::DOT,
            Part::Body,
        ])
        .tolerance(Tolerance {
            past: Some(Duration::from_secs(300)),
            future: Some(Duration::from_secs(300)),
        })
        .replay_basis(ReplayBasis::DeliveryId)
        .replay_record_ttl(2 * DAY)
}
