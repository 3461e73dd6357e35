#[cfg(all(feature = "axum", feature = "actix"))]
pub mod receivers;
#[cfg(feature = "tower")]
pub mod server;
pub mod vectors;
