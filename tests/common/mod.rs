#[cfg(all(feature = "postgres", feature = "axum", feature = "actix"))]
pub mod inbox;
pub mod keys;
#[cfg(feature = "tracing")]
pub mod logs;
pub mod mimic;
pub mod postgres;
#[cfg(feature = "redis")]
pub mod proxy;
#[cfg(all(feature = "axum", feature = "actix"))]
pub mod receivers;
#[cfg(feature = "redis")]
pub mod redis_server;
#[cfg(feature = "tower")]
pub mod server;
pub mod vectors;
