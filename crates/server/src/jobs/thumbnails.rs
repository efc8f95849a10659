//! The thumbnail maker (SPEC §7): a job, never the request path, turns each image the desk shows
//! into a small JPEG once. One image at a time per instance, decoded on a blocking thread, so a
//! burst of screenshots costs at most one decode's memory (bounded in the domain) and never slows
//! the HTTP workers. Several instances may make the same thumbnail; it is the same bytes, stored
//! under the same hash, and the first row update wins.

use std::time::Duration;

use bytes::Bytes;
use sportello_domain::evidence::{content_hash, ContentHash};
use sportello_domain::thumbnail::thumbnail;

use crate::app::{App, Error};

const EVERY: Duration = Duration::from_secs(2);
const BATCH: i64 = 20;

pub struct Thumbnailer {
    pub app: App,
}

impl Thumbnailer {
    /// Makes the thumbnails still missing, a batch at a time until none is; how many it settled.
    pub async fn pass(&self) -> Result<usize, Error> {
        let mut settled = 0;
        loop {
            let pending = self.app.store.unthumbed(BATCH).await?;
            if pending.is_empty() {
                return Ok(settled);
            }
            for sha256 in pending {
                self.make(&sha256).await?;
                settled += 1;
            }
        }
    }

    async fn make(&self, sha256: &str) -> Result<(), Error> {
        let original = match ContentHash::from_hex(sha256) {
            Some(hash) => self.app.blobs.get(&hash).await?,
            None => None,
        };
        let made = match original {
            None => Err("the original is missing".to_owned()),
            Some(bytes) => tokio::task::spawn_blocking(move || thumbnail(&bytes).map_err(|e| e.to_string()))
                .await
                .map_err(|e| Error::Internal(format!("thumbnail task: {e}")))?,
        };
        let made = match made {
            Ok(jpeg) => {
                let hash = content_hash(&jpeg);
                self.app.blobs.put(&hash, Bytes::from(jpeg)).await?;
                Ok(hash.to_hex())
            }
            Err(why) => {
                tracing::warn!(%sha256, %why, "no thumbnail for this image");
                Err(why)
            }
        };
        let mut tx = self.app.store.begin_write().await?;
        tx.set_thumbnail(sha256, made.as_deref().map_err(String::as_str))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn run(self) {
        super::every(EVERY, "thumbnails", || self.pass()).await;
    }
}
