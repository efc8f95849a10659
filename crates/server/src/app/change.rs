//! An agent changes a case (SPEC §7): its status (resolve, reopen, wait on the customer), its
//! priority (with a reason; due times counted again from the creation), who works it (assign,
//! take). Each is one transaction with its audit row.

use sportello_domain::access::{AgentId, Principal, TeamId};
use sportello_domain::audit::Action;
use sportello_domain::case::Status;
use sportello_domain::problem::{Problem, ProblemCode};
use sportello_domain::triage::{due, Priority};

use super::access::{as_agent, staff, Intent};
use super::conflict::Conflict;
use super::transitions::{move_to, priority_allowed, reprioritise};
use super::{App, Error};
use crate::store::{Assignment, AuditEntry, PriorityChange};

pub async fn set_status(app: &App, who: &Principal, case: &str, to: Status) -> Result<bool, Error> {
    if to == Status::Merged {
        // A merge names its target: it has its own verb.
        return Err(Error::Conflict(Conflict::MergeInstead));
    }
    let access = staff(app, who, case, Intent::Work).await?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let moved = move_to(app, &mut tx, &access, who, to, now).await?;
    tx.commit().await?;
    Ok(moved)
}

fn reason_required() -> Error {
    Error::Invalid(vec![Problem::new("reason", ProblemCode::Required)])
}

pub async fn set_priority(app: &App, who: &Principal, case: &str, to: Priority, reason: &str) -> Result<bool, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(reason_required());
    }
    let access = staff(app, who, case, Intent::Work).await?;
    if access.case().priority == to {
        return Ok(false);
    }
    priority_allowed(app, access.case(), to)?;
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    reprioritise(app, &mut tx, &access, who, to, reason, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Who should work the case: an agent (who must be enabled), a team, or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssignTo {
    pub agent: Option<AgentId>,
    pub team: Option<TeamId>,
}

pub async fn assign(app: &App, who: &Principal, case: &str, to: AssignTo) -> Result<bool, Error> {
    let access = staff(app, who, case, Intent::Work).await?;
    let c = access.case();
    if !who.may_assign(c.assignee, to.agent) {
        return Err(Error::Forbidden);
    }
    let team = match to.team {
        Some(id) => Some(
            access
                .team(id)
                .ok_or_else(|| Error::Conflict(Conflict::UnknownTeam(id.0.to_string())))?,
        ),
        None => None,
    };
    if let Some(agent) = to.agent {
        // A restricted team's case goes only to one of its members (or an admin). Unknown,
        // disabled and outside are one answer: assignment does not tell which agents exist.
        let owner = team.map(|t| t.as_ref()).or(access.owner());
        let able = app
            .store
            .agent(agent)
            .await?
            .filter(|a| a.disabled_at.is_none())
            .is_some_and(|a| as_agent(&a, sportello_domain::access::Scope::Write).may_see(owner));
        if !able {
            return Err(Error::Conflict(Conflict::AgentCannotTake));
        }
    }
    let from = Assignment {
        agent: c.assignee,
        team: c.team,
    };
    let target = Assignment {
        agent: to.agent,
        // Assigning an agent keeps the case's team unless another is named.
        team: to.team.or(c.team),
    };
    if from == target {
        return Ok(false);
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if !tx.assign(c.id, from, target).await? {
        return Err(Error::Conflict(Conflict::Stale));
    }
    let show = |a: Assignment| {
        format!(
            "agent {} team {}",
            a.agent.map_or(0, |a| a.0),
            a.team.map_or(0, |t| t.0)
        )
    };
    let mut entry = AuditEntry::case(now, who.agent(), Action::CaseAssigned, c.id);
    entry.old_value = Some(show(from));
    entry.new_value = Some(show(target));
    entry.agent = target.agent;
    entry.team = target.team;
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(true)
}

/// "Take": the agent assigns the case to themselves.
pub async fn take(app: &App, who: &Principal, case: &str) -> Result<bool, Error> {
    let me = who.agent().ok_or(Error::Forbidden)?;
    assign(
        app,
        who,
        case,
        AssignTo {
            agent: Some(me),
            team: None,
        },
    )
    .await
}

/// Another category or sub-category (SPEC §7): a reason is required, and the due times are
/// counted again from the creation with the new targets.
pub async fn set_category(
    app: &App,
    who: &Principal,
    case: &str,
    category: &str,
    subcategory: &str,
    reason: &str,
) -> Result<bool, Error> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(reason_required());
    }
    let access = staff(app, who, case, Intent::Work).await?;
    let c = access.case();
    let Some(target) = app.catalog.category(category) else {
        return Err(Error::Invalid(vec![Problem::new(
            "category",
            ProblemCode::UnknownCategory,
        )]));
    };
    if target.subcategory(subcategory).is_none() {
        return Err(Error::Invalid(vec![Problem::new(
            "subcategory",
            ProblemCode::UnknownSubcategory,
        )]));
    }
    if (c.category.as_str(), c.subcategory.as_str()) == (category, subcategory) {
        return Ok(false);
    }
    // Urgent stays urgent only where the new category allows it.
    let priority = match c.priority {
        Priority::Urgent if !target.urgent_allowed => Priority::High,
        p => p,
    };
    let new_due = due(&app.catalog, target, subcategory, priority, c.standing(), c.created_at);
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    if priority != c.priority {
        let change = PriorityChange {
            from: c.priority,
            to: priority,
            due: new_due,
        };
        tx.change_priority(c.id, &change).await?;
    }
    let from = (c.category.as_str(), c.subcategory.as_str());
    if !tx.set_category(c.id, from, (category, subcategory), &new_due).await? {
        return Err(Error::Conflict(Conflict::Stale));
    }
    let mut entry = AuditEntry::case(now, who.agent(), Action::CaseCategory, c.id);
    entry.old_value = Some(format!("{}/{}", c.category, c.subcategory));
    entry.new_value = Some(format!("{category}/{subcategory}: {reason}"));
    tx.audit(&entry).await?;
    tx.commit().await?;
    Ok(true)
}

/// Links two cases as related (SPEC §7): the agent must be able to work both.
pub async fn link(app: &App, who: &Principal, case: &str, other: &str) -> Result<bool, Error> {
    let one = staff(app, who, case, Intent::Work).await?;
    let two = staff(app, who, other, Intent::Work).await?;
    let (a, b) = (one.case().id, two.case().id);
    if a == b {
        return Err(Error::Conflict(Conflict::SelfLink));
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    let linked = tx.link(a, b, now).await?;
    if linked {
        for (this, that) in [(&one, &two), (&two, &one)] {
            let entry = AuditEntry::case(now, who.agent(), Action::CaseLinked, this.case().id)
                .change(None::<&str>, Some(that.number()));
            tx.audit(&entry).await?;
        }
    }
    tx.commit().await?;
    Ok(linked)
}

/// Merges `case` into `into` (SPEC §7): its messages and evidence move, its request becomes a
/// message of the target, it closes as `merged` with a pointer, and its status link and mail
/// threads lead to the target from then on.
pub async fn merge(app: &App, who: &Principal, case: &str, into: &str) -> Result<bool, Error> {
    let source = staff(app, who, case, Intent::Work).await?;
    let target = staff(app, who, into, Intent::Work).await?;
    let (s, t) = (source.case(), target.case());
    if s.id == t.id {
        return Err(Error::Conflict(Conflict::SelfMerge));
    }
    if !t.status.is_open() {
        return Err(Error::Conflict(Conflict::TargetIs(t.status)));
    }
    if s.status == Status::Merged {
        return Ok(false);
    }
    let now = app.clock.now();
    let mut tx = app.store.begin_write().await?;
    tx.merge(s.id, t.id, now).await?;
    // The request's own text joins the target's conversation, dated as it was sent.
    tx.add_customer_message(&crate::store::CustomerMessage {
        ticket: t.id,
        body: format!("[{}] {}", source.number(), s.description),
        sender: (!s.email.as_str().eq_ignore_ascii_case(t.email.as_str())).then(|| s.email.to_string()),
        raw_sha256: None,
        evidence: Vec::new(),
        at: s.created_at,
    })
    .await?;
    move_to(app, &mut tx, &source, who, Status::Merged, now).await?;
    for (this, that) in [(&source, &target), (&target, &source)] {
        let entry = AuditEntry::case(now, who.agent(), Action::CaseMerged, this.case().id)
            .change(None::<&str>, Some(that.number()));
        tx.audit(&entry).await?;
    }
    tx.commit().await?;
    Ok(true)
}
