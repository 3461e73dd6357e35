#[cfg(feature = "tower")]
pub mod server;
pub mod vectors;
