//! Customer satisfaction (SPEC §11): a resolution mails the customer two one-click links; the
//! answer (and its optional comment) is kept on the case, one per case, changeable for a week.

use chrono::{DateTime, Utc};
use sportello_domain::access::Principal;
use sportello_domain::audit::Action;
use sportello_domain::csat::{self, Rating, Refused};
use sportello_domain::problem::{Problem, ProblemCode};

use super::access::{self, StaffAccess};
use super::conflict::Conflict;
use super::{App, Error};
use crate::events::{OutboxEvent, Resolution, ResolutionLinks};
use crate::store::{AuditEntry, NewOutboxEvent, WriteTx};

/// Queues the resolution mail in the resolving transaction, with a fresh status token behind
/// its three links (good, bad, the case's page).
pub(super) async fn mail_resolution(
    app: &App,
    tx: &mut WriteTx,
    access: &StaffAccess,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let c = access.case();
    let number = access.number();
    let (token, status) = super::access::new_status_link(app, tx, access, now).await?;
    let base = &app.settings.public_url;
    let link = |rating: Rating| format!("{base}/csat/{number}?t={}&r={rating}", token.as_str());
    let event = OutboxEvent::Resolution(Resolution {
        case_number: number.to_string(),
        to: c.email.clone(),
        language: c.language.clone(),
        agent_name: who.name().to_owned(),
        links: Some(ResolutionLinks {
            good: link(Rating::Good),
            bad: link(Rating::Bad),
            status,
        }),
    });
    tx.enqueue(&NewOutboxEvent {
        ticket_id: c.id,
        event,
        // One mail per resolution: a case resolved again after a reopen is asked again.
        idempotency_key: app
            .mail_ids
            .message_id(number, &format!("resolved-{}", now.timestamp_millis())),
        created_at: now,
    })
    .await?;
    Ok(())
}

/// What the customer answered, as it now stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub case_number: String,
    pub rating: Rating,
    pub comment: Option<String>,
    /// Until when it may still be changed.
    pub changeable_until: DateTime<Utc>,
}

/// Takes the customer's answer through a link of the resolution mail. A repeat of the same
/// answer (a mail scanner that follows links, a second click) changes nothing and writes no audit
/// row; `comment: None` keeps the comment given before.
pub async fn answer(
    app: &App,
    case: &str,
    token: &str,
    rating: Rating,
    comment: Option<&str>,
) -> Result<Answered, Error> {
    let access = access::customer(app, case, token).await?;
    let now = app.clock.now();
    let stored = app.store.case(access.id()).await?.ok_or(Error::NotFound)?;
    let comment = match comment.map(str::trim) {
        Some(c) if !c.is_empty() => Some(c.to_owned()),
        Some(_) => None,
        None => stored.csat.as_ref().and_then(|a| a.comment.clone()),
    };
    csat::may_answer(stored.status, stored.resolved_at, comment.as_deref().unwrap_or(""), now).map_err(
        |e| match e {
            Refused::NotResolved => Error::Conflict(Conflict::CaseIs(stored.status)),
            Refused::Expired => Error::Conflict(Conflict::RatingClosed),
            Refused::CommentTooLong => Error::Invalid(vec![Problem::new("comment", ProblemCode::TooLong)]),
        },
    )?;
    let resolved_at = stored.resolved_at.ok_or(Error::NotFound)?;
    let answered = Answered {
        case_number: access.case().to_string(),
        rating,
        comment: comment.clone(),
        changeable_until: resolved_at + csat::CHANGEABLE_FOR,
    };
    let before = stored.csat.as_ref();
    if before.is_some_and(|b| b.rating == rating && b.comment == comment) {
        return Ok(answered);
    }
    let mut tx = app.store.begin_write().await?;
    if !tx.rate(stored.id, resolved_at, rating, comment.as_deref(), now).await? {
        return Err(Error::Conflict(Conflict::Stale));
    }
    tx.audit(&AuditEntry::case(now, None, Action::CaseRated, stored.id).change(before.map(|b| b.rating), Some(rating)))
        .await?;
    tx.commit().await?;
    Ok(answered)
}
