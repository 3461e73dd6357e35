//! The custom test harness's pieces (libtest-mimic) shared by the suites
//! that need a service and show as *ignored* without it.
#![allow(dead_code)]

use std::future::Future;

use libtest_mimic::{Failed, Trial};

/// A test run to completion on its own two-worker tokio runtime.
pub fn trial<F, Fut>(name: &'static str, test: F) -> Trial
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    Trial::test(name, move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Failed::from(e.to_string()))?;
        runtime.block_on(test());
        Ok(())
    })
}
