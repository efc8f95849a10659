//! Who else has a case open (SPEC §7, collision): an open case page says so every few seconds,
//! and an agent counts as there for [`FRESH`] after.

use chrono::Duration;
use sportello_domain::access::Principal;

use super::access::{staff, Intent, StaffAccess};
use super::{App, Error};

/// SPEC §7: "fresh within 10 s".
pub const FRESH: Duration = Duration::seconds(10);
/// A sign younger than this is not written again: most page views then cost one read, no write.
const RENEW_AFTER: Duration = Duration::seconds(3);

/// Records that `who` has the case open, and names the other agents who have it open too.
pub async fn here(app: &App, who: &Principal, case: &str) -> Result<Vec<String>, Error> {
    let access = staff(app, who, case, Intent::Read).await?;
    here_on(app, who, &access).await
}

/// As [`here`], for a case whose access was just decided.
pub async fn here_on(app: &App, who: &Principal, access: &StaffAccess) -> Result<Vec<String>, Error> {
    let Some(agent) = who.agent() else {
        return Ok(Vec::new());
    };
    let id = access.case().id;
    let now = app.clock.now();
    let viewers = app.store.viewers(id, now - FRESH).await?;
    let fresh = viewers
        .iter()
        .any(|(who, _, at)| *who == agent && now - *at < RENEW_AFTER);
    if !fresh {
        let mut tx = app.store.begin_write().await?;
        tx.saw_case(id, agent, now).await?;
        tx.commit().await?;
    }
    Ok(viewers
        .into_iter()
        .filter(|(who, ..)| *who != agent)
        .map(|(_, name, _)| name)
        .collect())
}
