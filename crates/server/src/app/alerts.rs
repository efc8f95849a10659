//! The alerts the desk shows (SPEC §11), as the watcher (`jobs::alerts`) raised them. They are
//! about devices, not cases: every agent sees them.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sportello_domain::access::Principal;
use utoipa::ToSchema;

use super::{App, Error};

/// How far back the desk shows alerts.
pub const SHOWN_FOR: Duration = Duration::days(7);

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Alert {
    /// `device_spike`.
    pub kind: String,
    #[schema(example = "Galaxy S23")]
    pub model: String,
    /// `Android 14`; null when the cases did not say.
    pub os: Option<String>,
    /// Its share of the 24 hours' new technical cases when raised, between 0 and 1.
    pub share: f64,
    pub cases: i64,
    pub at: DateTime<Utc>,
}

/// The alerts of the last week, newest first.
pub async fn recent(app: &App, _who: &Principal) -> Result<Vec<Alert>, Error> {
    let since = app.clock.now() - SHOWN_FOR;
    Ok(app
        .store
        .alerts(since)
        .await?
        .into_iter()
        .map(|a| Alert {
            kind: a.kind,
            model: a.model,
            os: Some(a.os).filter(|os| !os.is_empty()),
            share: a.share_ppm as f64 / 1e6,
            cases: a.cases,
            at: a.at,
        })
        .collect())
}
