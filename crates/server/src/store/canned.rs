//! Canned replies (SPEC §7): a name, global or one team's, a text per language, and the status
//! or priority they set. Removed ones are kept (marked), so the audit rows naming them still read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sportello_domain::access::TeamId;
use sportello_domain::case::Status;
use sportello_domain::triage::Priority;

use super::columns::{ms, Columns};
use super::{Store, StoreError, WriteTx};

/// A canned reply's id, as URLs and the API name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CannedId(pub i64);

/// A canned reply as written (the texts' placeholders were checked when saved).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Canned {
    pub name: String,
    /// None: every team's.
    pub team: Option<TeamId>,
    /// Language → text.
    pub texts: BTreeMap<String, String>,
    pub set_status: Option<Status>,
    pub set_priority: Option<Priority>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedRecord {
    pub id: CannedId,
    pub canned: Canned,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, team_id, texts, set_status, set_priority, updated_at";

fn canned_of(row: &sqlx::any::AnyRow) -> Result<CannedRecord, StoreError> {
    let c = Columns(row);
    Ok(CannedRecord {
        id: CannedId(c.i64("id")?),
        canned: Canned {
            name: c.text("name")?,
            team: c.opt_i64("team_id")?.map(TeamId),
            texts: c.json("texts")?,
            set_status: c.opt_parsed("set_status")?,
            set_priority: c.opt_parsed("set_priority")?,
        },
        updated_at: c.time("updated_at")?,
    })
}

fn texts_json(canned: &Canned) -> String {
    // A map of strings always serialises.
    serde_json::to_string(&canned.texts).unwrap_or_else(|_| "{}".to_owned())
}

impl Store {
    /// The canned replies not removed, by name.
    pub async fn canned_replies(&self) -> Result<Vec<CannedRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM canned_replies WHERE removed_at IS NULL ORDER BY name, id"
        ))
        .fetch_all(&self.reads)
        .await?;
        rows.iter().map(canned_of).collect()
    }

    /// One canned reply, unless it was removed.
    pub async fn canned(&self, id: CannedId) -> Result<Option<CannedRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM canned_replies WHERE id = $1 AND removed_at IS NULL"
        ))
        .bind(id.0)
        .fetch_optional(&self.reads)
        .await?;
        row.as_ref().map(canned_of).transpose()
    }

    /// A canned reply's name, removed or not (what a reply that began from it says it used).
    pub async fn canned_name(&self, id: CannedId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT name FROM canned_replies WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.reads)
            .await?;
        row.map(|r| Columns(&r).text("name")).transpose()
    }
}

impl WriteTx {
    /// [`StoreError::Conflict`] when a live canned reply has the name already.
    pub async fn add_canned(&mut self, canned: &Canned, at: DateTime<Utc>) -> Result<CannedId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO canned_replies (name, team_id, texts, set_status, set_priority, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&canned.name)
        .bind(canned.team.map(|t| t.0))
        .bind(texts_json(canned))
        .bind(canned.set_status.map(|s| s.as_str()))
        .bind(canned.set_priority.map(|p| p.as_str()))
        .bind(ms(at))
        .fetch_one(self.conn())
        .await?;
        Ok(CannedId(Columns(&row).i64("id")?))
    }

    /// Writes the canned reply anew; false when there is no such live one.
    pub async fn change_canned(
        &mut self,
        id: CannedId,
        canned: &Canned,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE canned_replies SET name = $1, team_id = $2, texts = $3, set_status = $4, set_priority = $5, \
             updated_at = $6 WHERE id = $7 AND removed_at IS NULL",
        )
        .bind(&canned.name)
        .bind(canned.team.map(|t| t.0))
        .bind(texts_json(canned))
        .bind(canned.set_status.map(|s| s.as_str()))
        .bind(canned.set_priority.map(|p| p.as_str()))
        .bind(ms(at))
        .bind(id.0)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn remove_canned(&mut self, id: CannedId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE canned_replies SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
            .bind(ms(at))
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
