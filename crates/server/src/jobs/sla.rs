//! The SLA watcher (SPEC §7): marks each breach once — a timeline event (an audit row the
//! database accepts once per case and target, however many watchers run) and a mail to the leads
//! of the case's team, in the same transaction — and closes resolved cases once their reopen
//! window has passed (SPEC §4).

use std::time::Duration;

use sportello_domain::audit::Action;
use sportello_domain::case::{Status, REOPEN_WINDOW};
use sportello_domain::sla::ClockState;

use crate::app::{App, Error};
use crate::events::{Breach, OutboxEvent};
use crate::store::AuditEntry;

/// How often the watcher looks.
pub const EVERY: Duration = Duration::from_secs(15);
/// Cases handled per query.
const BATCH: i64 = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub breaches_marked: usize,
    pub closed: usize,
}

pub struct SlaWatcher {
    pub app: App,
}

impl SlaWatcher {
    /// One pass at the clock's now; tests call it after setting the clock.
    pub async fn pass(&self) -> Result<Watched, Error> {
        let now = self.app.clock.now();
        let mut watched = Watched::default();
        loop {
            let overdue = self.app.store.overdue_unmarked(now, BATCH).await?;
            let mut marked_here = 0;
            for (id, timers) in &overdue {
                let Some((target, ClockState::Breached)) = timers.current(now) else {
                    continue;
                };
                let mut tx = self.app.store.begin_write().await?;
                if tx.audit_breach(*id, target.as_str(), now).await? {
                    marked_here += 1;
                    self.tell_leads(&mut tx, *id, target, now).await?;
                }
                tx.commit().await?;
            }
            watched.breaches_marked += marked_here;
            if (overdue.len() as i64) < BATCH || marked_here == 0 {
                break;
            }
        }
        for (id, timers) in self.app.store.resolved_before(now - REOPEN_WINDOW, BATCH).await? {
            let mut tx = self.app.store.begin_write().await?;
            let calendar = sportello_domain::calendar::Calendar::always();
            if tx
                .move_status(id, Status::Resolved, &timers.moved(Status::Closed, now, &calendar), now)
                .await?
            {
                tx.audit(
                    &AuditEntry::case(now, None, Action::CaseStatus, id)
                        .change(Some(Status::Resolved), Some(Status::Closed)),
                )
                .await?;
                watched.closed += 1;
            }
            tx.commit().await?;
        }
        if watched.breaches_marked > 0 {
            tracing::info!(breaches = watched.breaches_marked, "service-level breaches marked");
        }
        Ok(watched)
    }

    /// The mail of SPEC §7's breach to the leads of the case's team, in the breach's transaction
    /// (so it goes once, with the mark).
    async fn tell_leads(
        &self,
        tx: &mut crate::store::WriteTx,
        id: crate::store::TicketId,
        target: sportello_domain::sla::Target,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Error> {
        let Some(case) = self.app.store.case(id).await? else {
            return Ok(());
        };
        let Some(team) = case.team else { return Ok(()) };
        let number = id
            .number(self.app.catalog.case_prefix())
            .map_err(|e| Error::Internal(e.to_string()))?;
        let domain = self
            .app
            .settings
            .support_address
            .rsplit('@')
            .next()
            .unwrap_or("localhost");
        for lead in self.app.store.agents().await? {
            let leads_it = lead.role == sportello_domain::access::Role::Lead && lead.teams.contains(&team);
            if !leads_it || lead.disabled_at.is_some() {
                continue;
            }
            let event = OutboxEvent::Breach(Breach {
                to: lead.email.clone(),
                language: lead.language.clone(),
                case_number: number.to_string(),
                target: target.as_str().to_owned(),
                link: format!("{}/desk/cases/{number}", self.app.settings.public_url),
            });
            let key = format!(
                "<breach.{}.{}.{}@{domain}>",
                number.to_string().to_lowercase(),
                target.as_str().replace('_', "-"),
                lead.id.0
            );
            tx.enqueue_unbound(&event, &key, now).await?;
        }
        Ok(())
    }

    pub async fn run(self) {
        super::every(EVERY, "SLA watcher", || self.pass()).await;
    }
}
