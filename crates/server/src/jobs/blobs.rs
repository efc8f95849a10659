//! The blob sweeper: removes blobs no row names once nobody has stored them for the grace period
//! (`blob_grace`, 24 h by default) — files kept across a refused form, raw mail that was ignored,
//! uploads whose intake failed. Without it, anyone could fill the disk through the form.
//!
//! Rows are never deleted, so a blob once found named stays named: each pass looks only at blobs
//! touched since the previous pass's horizon (all of them after a start). A blob is moved out of
//! reach before it is removed, and kept if it was stored again or named meanwhile.

use std::time::{Duration, SystemTime};

use crate::app::{App, Error};

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub looked_at: usize,
    pub removed: usize,
}

pub struct BlobSweeper {
    app: App,
    grace: Duration,
    /// Blobs last touched before this were looked at by an earlier pass.
    horizon: SystemTime,
}

impl BlobSweeper {
    pub fn new(app: App, grace: Duration) -> BlobSweeper {
        BlobSweeper {
            app,
            grace,
            horizon: SystemTime::UNIX_EPOCH,
        }
    }

    /// One pass at `now`; tests call this with the time they choose.
    pub async fn sweep(&mut self, now: SystemTime) -> Result<Swept, Error> {
        let before = now.checked_sub(self.grace).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut swept = Swept::default();
        for hash in self.app.blobs.touched_between(self.horizon, before).await? {
            swept.looked_at += 1;
            if self.app.store.blob_named(&hash).await? {
                continue;
            }
            let Some(retired) = self.app.blobs.retire(&hash).await? else {
                continue;
            };
            // Stored again, or named by a row committed meanwhile: it stays.
            let keep = retired.modified >= before || self.app.store.blob_named(&hash).await?;
            self.app.blobs.settle(retired, keep).await?;
            if !keep {
                swept.removed += 1;
            }
        }
        swept.removed += self.app.blobs.remove_leftovers(before).await?;
        self.horizon = before;
        Ok(swept)
    }

    /// Sweeps until the process stops: a twelfth of the grace period apart, at most hourly.
    pub async fn run(mut self) {
        let every = (self.grace / 12).clamp(Duration::from_secs(1), Duration::from_secs(3600));
        loop {
            match self.sweep(SystemTime::now()).await {
                Ok(swept) if swept.removed > 0 => {
                    tracing::info!(removed = swept.removed, "blobs no row names were removed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "blob sweep failed"),
            }
            tokio::time::sleep(every).await;
        }
    }
}
