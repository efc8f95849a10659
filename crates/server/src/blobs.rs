//! Attachments, content-addressed by SHA-256 under the data directory (DESIGN "Blobs").
//!
//! A blob is written to a temporary file, synced, renamed into place and its directory synced,
//! all before the database row that names it is committed: a committed row never names a missing
//! file. Identical bytes are stored once.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sportello_domain::evidence::ContentHash;

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// Opens (creating) `data_dir/blobs`.
    pub async fn open(data_dir: &Path) -> std::io::Result<BlobStore> {
        let root = data_dir.join("blobs");
        tokio::fs::create_dir_all(&root).await?;
        Ok(BlobStore { root })
    }

    fn path(&self, hash: &ContentHash) -> PathBuf {
        let hex = hash.to_hex();
        self.root.join(&hex[..2]).join(&hex)
    }

    /// Stores `bytes` durably under their hash; a no-op when they are already there.
    pub async fn put(&self, hash: &ContentHash, bytes: Bytes) -> std::io::Result<()> {
        let path = self.path(hash);
        tokio::task::spawn_blocking(move || write_durably(&path, &bytes))
            .await
            .map_err(std::io::Error::other)?
    }

    pub async fn get(&self, hash: &ContentHash) -> std::io::Result<Option<Bytes>> {
        match tokio::fs::read(self.path(hash)).await {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", rand::random::<u64>()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_domain::evidence::content_hash;

    #[tokio::test]
    async fn blobs_round_trip_by_hash_and_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).await.unwrap();
        let bytes = Bytes::from_static(b"screenshot bytes");
        let hash = content_hash(&bytes);
        store.put(&hash, bytes.clone()).await.unwrap();
        store.put(&hash, bytes.clone()).await.unwrap();
        assert_eq!(store.get(&hash).await.unwrap(), Some(bytes));
        let files: Vec<_> = walk(dir.path());
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].ends_with(hash.to_hex()));
        assert_eq!(store.get(&content_hash(b"other")).await.unwrap(), None);
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .flat_map(|e| {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p)
                } else {
                    vec![p]
                }
            })
            .collect()
    }
}
