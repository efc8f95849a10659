//! Automatic assignment (SPEC §8): for each team that hands its cases out, the unassigned open
//! cases go, soonest due first, to the agent the domain chooses from a snapshot of the team; each
//! write is guarded so no agent passes capacity, whatever else runs. One pass covers the three
//! moments of the SPEC: a new case, a case whose assignee was let go, an agent who freed up.

use sportello_domain::assignment::{choose, Snapshot};
use sportello_domain::audit::Action;

use super::{App, Error};
use crate::store::AuditEntry;

/// How many waiting cases of one team a pass looks at.
const WAITING: i64 = 200;

/// One pass over every assigning team; how many cases it assigned.
pub async fn assign_waiting(app: &App) -> Result<usize, Error> {
    let mut assigned = 0;
    for team in app.store.assigning_teams().await? {
        let waiting = app.store.waiting(team.id, WAITING).await?;
        if waiting.is_empty() {
            continue;
        }
        let mut snapshot = Snapshot {
            mode: team.mode,
            now: app.clock.now(),
            candidates: app.store.candidates(&team).await?,
            last_assigned: team.last_assigned,
        };
        for (ticket, needs) in waiting {
            let Some(agent) = choose(&snapshot, &needs) else {
                continue;
            };
            let now = app.clock.now();
            let mut tx = app.store.begin_write().await?;
            let given = tx.assign_within(ticket, team.id, agent, team.capacity, now).await?;
            let Some(chosen) = snapshot.candidates.iter_mut().find(|c| c.agent == agent) else {
                continue;
            };
            if !given {
                // Another instance filled them, or took the case: count them full for this pass.
                chosen.open = chosen.capacity;
                continue;
            }
            let mut entry = AuditEntry::case(now, None, Action::CaseAssigned, ticket);
            entry.old_value = Some(format!("agent 0 team {}", team.id.0));
            entry.new_value = Some(format!("agent {} team {}", agent.0, team.id.0));
            entry.agent = Some(agent);
            entry.team = Some(team.id);
            tx.audit(&entry).await?;
            tx.commit().await?;
            chosen.open += 1;
            snapshot.last_assigned = Some(agent);
            assigned += 1;
        }
    }
    Ok(assigned)
}
