//! Attachments, content-addressed by SHA-256 under the data directory (DESIGN "Blobs").
//!
//! A blob is written to a temporary file, synced, renamed into place and its directory synced,
//! all before the database row that names it is committed: a committed row never names a missing
//! file. Identical bytes are stored once. A blob no row names (a refused form's kept file, an
//! ignored mail) is removed by the sweeper (`jobs::blobs`) once it has been left alone for the
//! grace period: storing bytes that are already there refreshes the file's time, so a blob about
//! to be named again is never swept from under the row.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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

    /// The blobs last written or refreshed in `[after, before)`: what the sweeper looks at.
    pub async fn touched_between(&self, after: SystemTime, before: SystemTime) -> std::io::Result<Vec<ContentHash>> {
        let files = self.files().await?;
        Ok(files
            .into_iter()
            .filter(|(_, modified, _)| *modified >= after && *modified < before)
            .filter_map(|(name, _, _)| ContentHash::from_hex(&name))
            .collect())
    }

    /// Removes what a write or a sweep that was cut short left (temporary and retired files)
    /// untouched since `before`; how many.
    pub async fn remove_leftovers(&self, before: SystemTime) -> std::io::Result<usize> {
        let mut removed = 0;
        for (name, modified, path) in self.files().await? {
            if (name.starts_with(".tmp-") || name.starts_with(".retired-")) && modified < before {
                tokio::fs::remove_file(path).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Every file of the store, with its time: blobs by their hash, and the others by name.
    async fn files(&self) -> std::io::Result<Vec<(String, SystemTime, PathBuf)>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            for dir in std::fs::read_dir(&root)? {
                let dir = dir?;
                if !dir.file_type()?.is_dir() {
                    continue;
                }
                for file in std::fs::read_dir(dir.path())? {
                    let file = file?;
                    let name = file.file_name().to_string_lossy().into_owned();
                    found.push((name, file.metadata()?.modified()?, file.path()));
                }
            }
            Ok(found)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Moves a blob out of reach (readers see it gone, a writer stores it anew) before it is
    /// removed; None when it is already gone.
    pub async fn retire(&self, hash: &ContentHash) -> std::io::Result<Option<Retired>> {
        let path = self.path(hash);
        let tomb = path.with_file_name(format!(".retired-{}", hash.to_hex()));
        match tokio::fs::rename(&path, &tomb).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let modified = tokio::fs::metadata(&tomb).await?.modified()?;
        Ok(Some(Retired { path, tomb, modified }))
    }

    /// Removes a retired blob, or puts it back (`keep`) unless it was stored anew meanwhile.
    pub async fn settle(&self, retired: Retired, keep: bool) -> std::io::Result<()> {
        if keep && !tokio::fs::try_exists(&retired.path).await? {
            return tokio::fs::rename(&retired.tomb, &retired.path).await;
        }
        tokio::fs::remove_file(&retired.tomb).await
    }
}

/// A blob moved out of reach by [`BlobStore::retire`], with its file's time as it was then.
#[derive(Debug)]
pub struct Retired {
    path: PathBuf,
    tomb: PathBuf,
    pub modified: SystemTime,
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        // Refreshed, so the sweeper leaves it alone for another grace period; if the sweeper
        // retired it just now, it is written anew below.
        match std::fs::File::options().append(true).open(path) {
            Ok(file) => return file.set_modified(SystemTime::now()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
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
