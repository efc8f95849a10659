//! Who may act on a case. A use case takes the proof of access it needs as a parameter, and that
//! proof is made only here: whoever cannot show one gets the same answer as for a case that does
//! not exist.

use chrono::{DateTime, Utc};
use sportello_domain::access::{Denied, Principal};
use sportello_domain::case_number::CaseNumber;

use super::{App, Error, StatusToken};
use crate::store::{TicketId, WriteTx};

/// Proof that its holder may read and add to one case as its customer: they gave the case's
/// number with one of its status tokens (SPEC §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAccess {
    case: CaseNumber,
    id: TicketId,
}

impl CustomerAccess {
    pub fn case(&self) -> &CaseNumber {
        &self.case
    }

    pub fn id(&self) -> TicketId {
        self.id
    }
}

/// The customer's access to `case`, when `token` is one of its status tokens; [`Error::NotFound`]
/// otherwise, without saying which of the two was wrong.
pub async fn customer(app: &App, case: &str, token: &str) -> Result<CustomerAccess, Error> {
    let number = app.catalog.case_prefix().parse(case).map_err(|_| Error::NotFound)?;
    let id = TicketId::of(&number).ok_or(Error::NotFound)?;
    if token.is_empty() || !app.store.token_matches(id, &StatusToken::hash(token)).await? {
        return Err(Error::NotFound);
    }
    // A merged case's link opens the case it was merged into (SPEC §7); the merge copied its
    // tokens there.
    let case = app.store.case_followed(id).await?.ok_or(Error::NotFound)?;
    if case.id != id {
        let number = case
            .id
            .number(app.catalog.case_prefix())
            .map_err(|e| Error::Internal(e.to_string()))?;
        return Ok(CustomerAccess {
            case: number,
            id: case.id,
        });
    }
    Ok(CustomerAccess { case: number, id })
}

/// Proof that an agent (or the system) may see one case, with the case as it was read: made only
/// by [`staff`], after the principal's access was checked against the case's team.
#[derive(Debug, Clone)]
pub struct StaffAccess {
    case: crate::store::Case,
    number: CaseNumber,
    /// Every team, as read to decide the access (the verbs that need them use these).
    teams: Vec<crate::store::TeamRecord>,
}

impl StaffAccess {
    pub fn teams(&self) -> &[crate::store::TeamRecord] {
        &self.teams
    }

    /// A team by id, among those read with the access.
    pub fn team(&self, id: sportello_domain::access::TeamId) -> Option<&crate::store::TeamRecord> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// The team that owns the case.
    pub fn owner(&self) -> Option<sportello_domain::access::TeamRef> {
        self.case.team.and_then(|id| self.team(id)).map(|t| t.as_ref())
    }

    pub fn case(&self) -> &crate::store::Case {
        &self.case
    }

    pub fn number(&self) -> &CaseNumber {
        &self.number
    }
}

/// What the caller wants to do with the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Read,
    Work,
}

/// The principal's access to `case`: [`Error::NotFound`] for a case that does not exist and for
/// one they may not see alike (SPEC §6), [`Error::Forbidden`] for one they may see but not change.
pub async fn staff(app: &App, who: &Principal, case: &str, intent: Intent) -> Result<StaffAccess, Error> {
    let number = app.catalog.case_prefix().parse(case).map_err(|_| Error::NotFound)?;
    let id = TicketId::of(&number).ok_or(Error::NotFound)?;
    // The teams are read whether or not the case exists, so a hidden case and a missing one cost
    // the same queries: neither the answer nor its time tells them apart.
    let teams = app.store.teams().await?;
    let found = app.store.case(id).await?.ok_or(Error::NotFound)?;
    let team = found
        .team
        .and_then(|team| teams.iter().find(|t| t.id == team))
        .map(|t| t.as_ref());
    let allowed = match intent {
        Intent::Read if who.may_see(team) => Ok(()),
        Intent::Read => Err(Denied::Hidden),
        Intent::Work => who.may_work(team),
    };
    match allowed {
        Ok(()) => Ok(StaffAccess {
            case: found,
            number,
            teams,
        }),
        Err(Denied::Hidden) => Err(Error::NotFound),
        Err(Denied::Forbidden) => Err(Error::Forbidden),
    }
}

/// The principal an agent's account acts as, with `scope` (a session writes; a token has its own).
pub fn as_agent(agent: &crate::store::AgentRecord, scope: sportello_domain::access::Scope) -> Principal {
    Principal::Agent(sportello_domain::access::Staff {
        id: agent.id,
        name: agent.name.clone(),
        role: agent.role,
        teams: agent.teams.clone(),
        scope,
    })
}

/// A new status token for a mail the desk sends about the case (a reply, a resolution), added in
/// the mail's transaction; the token and the case's status link it opens.
pub(super) async fn new_status_link(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    now: DateTime<Utc>,
) -> Result<(StatusToken, String), Error> {
    let token = StatusToken::generate();
    tx.add_status_token(access.case().id, &StatusToken::hash(token.as_str()), now)
        .await?;
    let url = format!(
        "{}/status/{}?t={}",
        app.settings.public_url,
        access.number(),
        token.as_str()
    );
    Ok((token, url))
}
