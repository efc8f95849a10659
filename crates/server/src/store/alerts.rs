//! Alerts (SPEC §11): what the device-spike watcher reads (the devices of one category's recent
//! cases) and writes (each alert once per subject and day, by the unique key of `alerts`).

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sportello_domain::case::Status;

use super::columns::{ms, Columns};
use super::{Store, StoreError, WriteTx};

/// An alert as stored: a device spike's model and OS ("" when the text gave none), its share of
/// the window's cases in parts per million, how many cases, and when it was raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub kind: String,
    pub model: String,
    pub os: String,
    /// The UTC day it stands for: one alert per subject and day.
    pub day: String,
    pub share_ppm: i64,
    pub cases: i64,
    pub at: DateTime<Utc>,
}

impl Store {
    /// When each case of `category` created since `since` came, and its device as typed ('' when
    /// the case waits for it).
    pub async fn category_devices(
        &self,
        category: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, String)>, StoreError> {
        let mut rows = sqlx::query(
            "SELECT created_at, device FROM tickets WHERE category = $1 AND created_at >= $2 AND status <> $3",
        )
        .bind(category)
        .bind(ms(since))
        .bind(Status::Merged.as_str())
        .fetch(&self.reads);
        let mut devices = Vec::new();
        while let Some(row) = rows.try_next().await? {
            let c = Columns(&row);
            devices.push((c.time("created_at")?, c.text("device")?));
        }
        Ok(devices)
    }

    /// The alerts raised since `since`, newest first.
    pub async fn alerts(&self, since: DateTime<Utc>) -> Result<Vec<AlertRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, model, os, day, share_ppm, cases, at FROM alerts WHERE at >= $1 ORDER BY at DESC, id DESC LIMIT 100",
        )
        .bind(ms(since))
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|row| {
                let c = Columns(row);
                Ok(AlertRecord {
                    kind: c.text("kind")?,
                    model: c.text("model")?,
                    os: c.text("os")?,
                    day: c.text("day")?,
                    share_ppm: c.i64("share_ppm")?,
                    cases: c.i64("cases")?,
                    at: c.time("at")?,
                })
            })
            .collect()
    }
}

impl WriteTx {
    /// Records the alert unless one for the same subject and day exists (another instance, an
    /// earlier pass): true when this call raised it.
    pub async fn raise_alert(&mut self, a: &AlertRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO alerts (kind, model, os, day, share_ppm, cases, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (kind, model, os, day) DO NOTHING",
        )
        .bind(&a.kind)
        .bind(&a.model)
        .bind(&a.os)
        .bind(&a.day)
        .bind(a.share_ppm)
        .bind(a.cases)
        .bind(ms(a.at))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
