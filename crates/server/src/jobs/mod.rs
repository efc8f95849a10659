//! Work that runs beside the HTTP server.

pub mod alerts;
pub mod assigner;
pub mod blobs;
pub mod delivery;
pub mod mailbox;
pub mod replies;
pub mod sla;
pub mod thumbnails;
pub mod webhooks;

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

/// Runs `pass` every `period` until the process stops; a pass that fails is logged, and the next
/// one tries again (the work is idempotent: every job claims what it does in the database).
pub(crate) async fn every<F, Fut, T, E>(period: Duration, what: &'static str, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Display,
{
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        if let Err(e) = pass().await {
            tracing::warn!(error = %e, job = what, "a pass failed; the next one tries again");
        }
    }
}
