//! MITPO's events as typed values (feature `serde`): [`Event`], usable as
//! `Verified<Json<mitpo::Event>>` in axum and `Verified<web::Json<mitpo::Event>>`
//! in actix-web, so that a handler routes on the payload's own `event` field,
//! which MITPO signs (its `X-MITPO-Event` header is not signed).
//!
//! MITPO documents five event types and the payload of one of them:
//!
//! ```json
//! {
//!   "event": "dispatch.completed",
//!   "timestamp": "2026-03-22T10:30:00Z",
//!   "data": {
//!     "dispatch_id": "dsp_a1b2c3d4",
//!     "channel": "meta_ads",
//!     "status": "completed",
//!     "provider_resource_id": "23851234567890"
//!   }
//! }
//! ```
//!
//! What is documented is typed, and nothing else is refused: an event type
//! this version does not know is [`Data::Other`], the `data` of the events
//! whose fields MITPO does not document is kept as JSON, and fields nobody
//! documented (at the top level or in `dispatch.completed`'s data) are kept
//! in an `extra` map. A `timestamp` that is not RFC 3339 is kept as sent
//! ([`Timestamp::as_str`]). An object without a string `event`, without a
//! `timestamp`, or a `dispatch.completed` whose data lacks a documented
//! field, does not deserialize.
//!
//! ```
//! use hookwarden::mitpo::{Data, Event};
//!
//! let body = br#"{"event":"dispatch.completed","timestamp":"2026-03-22T10:30:00Z",
//!   "data":{"dispatch_id":"dsp_a1b2c3d4","channel":"meta_ads","status":"completed",
//!   "provider_resource_id":"23851234567890"}}"#;
//! let event: Event = serde_json::from_slice(body)?;
//! assert_eq!(event.event_type(), "dispatch.completed");
//! match &event.data {
//!     Data::DispatchCompleted(dispatch) => assert_eq!(dispatch.channel, "meta_ads"),
//!     other => println!("{} (not handled here)", other.event_type()),
//! }
//! assert_eq!(event.timestamp.unix_seconds(), Some(1_774_175_400));
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
#![doc = include_str!("../../docs/mitpo.md")]

mod event;
mod timestamp;

pub use event::{Data, DispatchCompleted, Event, EVENT_TYPES};
pub use timestamp::Timestamp;
