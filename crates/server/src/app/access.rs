//! Who may act on a case. A use case takes the proof of access it needs as a parameter, and that
//! proof is made only here: whoever cannot show one gets the same answer as for a case that does
//! not exist.

use sportello_domain::case_number::CaseNumber;

use super::{App, Error, StatusToken};
use crate::store::TicketId;

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
    Ok(CustomerAccess { case: number, id })
}
