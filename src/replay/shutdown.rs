//! Releasing every lease still held, on shutdown: all at once, under one
//! deadline, so that a store that does not answer delays a shutdown by one
//! store timeout, not one per lease.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{LeaseId, ReplayKey, ReplayProtection};

type Release<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl ReplayProtection {
    /// Releases every lease still held in this process through this replay
    /// protection (their deliveries were not processed, as far as anyone
    /// knows), so that the providers' retries are processed by the replicas
    /// that remain. Call it on shutdown, after the server stopped accepting
    /// and its in-flight requests finished or were given up on.
    ///
    /// The releases are sent concurrently and the whole is bounded by one
    /// [`store_timeout`](Self::store_timeout) (2 s by default), however many
    /// leases are held: those the store did not confirm by then are logged
    /// and left to expire with their lease
    /// ([`lease_ttl`](Self::lease_ttl), 10 s by default).
    pub async fn release_in_flight(&self) {
        let releases: Vec<_> = self
            .leases()
            .drain()
            .into_iter()
            .map(|(id, key)| Some(self.release_one(key, id)))
            .collect();
        if releases.is_empty() {
            return;
        }
        let mut all = All(releases);
        let timer = self.timer();
        let deadline = || match timer.now().checked_add(self.config.store_timeout) {
            Some(at) => timer.sleep_until(at),
            None => Box::pin(std::future::pending()),
        };
        if crate::time::first(&mut all, deadline).await.is_none() {
            self.log_unreleased(all.0.iter().flatten().count());
        }
    }

    fn release_one(&self, key: ReplayKey, id: LeaseId) -> Release<'_> {
        Box::pin(async move {
            if let Err(error) = self.store().release(&key, id).await {
                log_failed(&key, &error);
            }
        })
    }

    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    fn log_unreleased(&self, count: usize) {
        #[cfg(feature = "tracing")]
        tracing::warn!(
            count,
            "replay leases not released within the store timeout on shutdown; \
             they expire with their lease"
        );
    }
}

#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn log_failed(key: &ReplayKey, error: &super::StoreError) {
    #[cfg(feature = "tracing")]
    tracing::warn!(key = %key, %error, "replay lease not released on shutdown; it expires with its lease");
}

/// Every release, polled together until all are done.
struct All<'a>(Vec<Option<Release<'a>>>);

impl Future for All<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut done = true;
        for slot in self.get_mut().0.iter_mut() {
            if let Some(release) = slot {
                if release.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    done = false;
                }
            }
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
