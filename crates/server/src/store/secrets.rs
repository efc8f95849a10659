//! Server secrets: random keys made by whichever instance asks first, then shared by every
//! instance through the database (a MAC one instance makes, another must verify).

use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::columns::{corrupt, ms, Columns};
use super::{Store, StoreError};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

impl Store {
    /// The 256-bit secret called `name`, made at random the first time it is asked for.
    pub async fn secret(&self, name: &str, now: DateTime<Utc>) -> Result<[u8; 32], StoreError> {
        let fresh: [u8; 32] = rand::random();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(BASE64.encode(fresh))
        .bind(ms(now))
        .execute(tx.conn())
        .await?;
        let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        let value = Columns(&row).text("value")?;
        BASE64
            .decode(&value)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| corrupt("server_secrets.value", format!("`{name}` is not 32 bytes of base64")))
    }
}
