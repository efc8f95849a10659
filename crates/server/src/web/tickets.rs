//! The agents' API (SPEC §9, first bullet): the queue as `/api/v1/tickets`, a case with its
//! timeline, every desk action as a POST, and the audit log — for bearer tokens (scopes decide
//! what they may change) and desk sessions alike. A case outside the caller's access is a 404,
//! as an unknown one is.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sportello_domain::access::{AgentId, TeamId};
use sportello_domain::case::{Author, Channel, Flag, Status};
use sportello_domain::sla::ClockState;
use sportello_domain::triage::Priority;
use utoipa::{IntoParams, ToSchema};

use super::desk::queue::QueueParams;
use super::error::AppError;
use super::extract::{ApiAgent, JsonBody};
use super::WebState;
use crate::app::answer::{answer, Answer};
use crate::app::change::{self, AssignTo};
use crate::app::desk_case::{desk_case, Entry};
use crate::app::queue::queue;
use crate::store::{AuditQuery, TicketId};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/api/v1/tickets", get(list))
        .route("/api/v1/tickets/{case}", get(show))
        .route("/api/v1/tickets/{case}/reply", post(reply))
        .route("/api/v1/tickets/{case}/replies/{message}/undo", post(undo))
        .route("/api/v1/tickets/{case}/notes", post(note))
        .route("/api/v1/tickets/{case}/status", post(status))
        .route("/api/v1/tickets/{case}/priority", post(priority))
        .route("/api/v1/tickets/{case}/assign", post(assign))
        .route("/api/v1/tickets/{case}/take", post(take))
        .route("/api/v1/tickets/{case}/request-info", post(request_info))
        .route("/api/v1/tickets/{case}/category", post(category))
        .route("/api/v1/tickets/{case}/link", post(link))
        .route("/api/v1/tickets/{case}/merge", post(merge))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/agents", get(agents))
        .route("/api/v1/teams", get(teams))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSummary {
    #[schema(example = "WA0000000013")]
    pub case_number: String,
    #[schema(value_type = String, example = "open")]
    pub status: Status,
    #[schema(value_type = String, example = "normal")]
    pub priority: Priority,
    pub category: String,
    pub subcategory: String,
    #[schema(value_type = String, example = "web")]
    pub channel: Channel,
    pub assignee: Option<Named>,
    pub team: Option<Named>,
    pub next_due: Option<DateTime<Utc>>,
    pub first_response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
    /// The state of the target worked towards now (`running`, `paused`, `met`, `breached`); null
    /// once the case is over.
    #[schema(value_type = Option<String>)]
    pub clock: Option<ClockState>,
    #[schema(value_type = Vec<String>)]
    pub flags: Vec<Flag>,
}

impl TicketSummary {
    pub fn of(item: crate::app::queue::QueueItem) -> TicketSummary {
        let r = item.row;
        TicketSummary {
            case_number: item.number.to_string(),
            status: r.status,
            priority: r.priority,
            category: r.category,
            subcategory: r.subcategory,
            channel: r.channel,
            assignee: r.assignee.map(|(id, name)| Named { id: id.0, name }),
            team: r.team.map(|(id, name)| Named { id: id.0, name }),
            next_due: item.next_due,
            first_response_due: r.timers.first_response_due,
            resolution_due: r.timers.resolution_due,
            clock: item.current.map(|(_, state)| state),
            flags: item.flags,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub tickets: Vec<TicketSummary>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(operation_id = "tickets_list", get, path = "/api/v1/tickets", tag = "agents",
    params(crate::web::desk::queue::QueueParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the queue, in its order", body = TicketList), (status = 400, description = "A filter with a value it cannot have"), (status = 401, description = "No credentials, or no longer good ones")))]
pub(crate) async fn list(
    State(state): State<WebState>,
    who: ApiAgent,
    Query(params): Query<QueueParams>,
) -> Result<Json<TicketList>, AppError> {
    let request = params.request()?;
    let page = queue(&state.app, &who.principal, &request).await?;
    let tickets = page.items.into_iter().map(TicketSummary::of).collect();
    Ok(Json(TicketList {
        tickets,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// `message-N` or `event-N`.
    pub id: String,
    /// `customer_message`, `reply`, `note` or `event`.
    #[schema(value_type = String)]
    pub kind: &'static str,
    #[schema(value_type = String, example = "agent")]
    pub author: Author,
    pub agent: Option<Named>,
    pub body: String,
    pub at: DateTime<Utc>,
    /// For events: what happened (`case_status`…) and the values before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<String>,
    /// A reply still held (SPEC §7): not sent until then, and its agent may undo it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub filename: String,
    pub width: u32,
    pub height: u32,
    pub byte_len: i64,
    pub editor: Option<String>,
    pub sha256: String,
}

/// A file that came by mail and is not a screenshot (a PDF, a spreadsheet); its bytes are on the
/// desk's case page.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileFromMail {
    pub filename: String,
    pub media_type: String,
    pub byte_len: i64,
    /// The timeline's `message-N` it came with; null for the mail that opened the case.
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub summary: TicketSummary,
    /// The contact's organisation (SPEC §10); `business` is how it stood when the case came
    /// (`verified` or `unverified`), which set the case's targets.
    pub organisation: Option<Named>,
    #[schema(value_type = Option<String>, example = "verified")]
    pub business: Option<sportello_domain::organisation::Business>,
    pub email: String,
    pub email_undeliverable: bool,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub language: String,
    pub device: Option<String>,
    pub description: String,
    pub fields: std::collections::BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    #[schema(value_type = String)]
    pub first_response_clock: ClockState,
    #[schema(value_type = String)]
    pub resolution_clock: ClockState,
    pub timeline: Vec<TimelineEntry>,
    pub attachments: Vec<Attachment>,
    pub files: Vec<FileFromMail>,
}

#[utoipa::path(operation_id = "tickets_show", get, path = "/api/v1/tickets/{case}", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    security(("bearer" = [])),
    responses((status = 200, description = "The case with its timeline", body = TicketDetail), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)")))]
pub(crate) async fn show(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
) -> Result<Json<TicketDetail>, AppError> {
    let view = desk_case(&state.app, &who.principal, &case).await?;
    let now = state.app.clock.now();
    let c = view.case();
    let timers = c.timers();
    let timeline = view
        .timeline
        .iter()
        .map(|e| match e {
            Entry::Request { body, at } => TimelineEntry {
                id: "request".to_owned(),
                kind: "customer_message",
                author: Author::Customer,
                agent: None,
                body: body.clone(),
                at: *at,
                action: None,
                old_value: None,
                new_value: None,
                held_until: None,
            },
            Entry::Message(m) => TimelineEntry {
                id: format!("message-{}", m.id.get()),
                kind: match (m.author, m.public) {
                    (Author::Customer, _) => "customer_message",
                    (_, true) => "reply",
                    (_, false) => "note",
                },
                author: m.author,
                agent: m.agent.as_ref().map(|(id, name)| Named {
                    id: id.0,
                    name: name.clone(),
                }),
                body: m.body.clone(),
                at: m.created_at,
                action: None,
                old_value: None,
                new_value: None,
                held_until: m.held_until,
            },
            Entry::Event(a) => TimelineEntry {
                id: format!("event-{}", a.id),
                kind: "event",
                author: if a.entry.actor.is_some() {
                    Author::Agent
                } else {
                    Author::System
                },
                agent: a
                    .entry
                    .actor
                    .zip(a.actor_name.clone())
                    .map(|(id, name)| Named { id: id.0, name }),
                body: String::new(),
                at: a.entry.at,
                action: Some(a.entry.action.as_str()),
                old_value: a.entry.old_value.clone(),
                new_value: a.entry.new_value.clone(),
                held_until: None,
            },
        })
        .collect();
    let detail = TicketDetail {
        summary: TicketSummary {
            case_number: view.access.number().to_string(),
            status: c.status,
            priority: c.priority,
            category: c.category.clone(),
            subcategory: c.subcategory.clone(),
            channel: c.channel,
            assignee: c
                .assignee
                .zip(view.assignee_name.clone())
                .map(|(id, name)| Named { id: id.0, name }),
            team: view.team.as_ref().map(|t| Named {
                id: t.id.0,
                name: t.name.clone(),
            }),
            next_due: timers.next_due(),
            first_response_due: c.first_response_due,
            resolution_due: c.resolution_due,
            clock: timers.current(now).map(|(_, s)| s),
            flags: view.flags.clone(),
        },
        organisation: view.organisation.as_ref().map(|o| Named {
            id: o.id.0,
            name: o.organisation.name.clone(),
        }),
        business: c.business,
        email: c.email.to_string(),
        email_undeliverable: view.undeliverable,
        phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
        name: c.name.clone(),
        language: c.language.clone(),
        device: c.device.clone(),
        description: c.description.clone(),
        fields: c.fields.clone(),
        created_at: c.created_at,
        first_response_at: c.first_response_at,
        resolved_at: c.resolved_at,
        first_response_clock: view.first_response,
        resolution_clock: view.resolution,
        timeline,
        attachments: view
            .attachments
            .iter()
            .map(|a| Attachment {
                filename: a.filename.clone(),
                width: a.width,
                height: a.height,
                byte_len: a.byte_len,
                editor: a.editor.clone(),
                sha256: a.sha256.clone(),
            })
            .collect(),
        files: view
            .files
            .iter()
            .map(|f| FileFromMail {
                filename: f.file.filename.clone(),
                media_type: f.file.media_type.clone(),
                byte_len: f.file.byte_len,
                message: f.message.map(|m| format!("message-{}", m.get())),
            })
            .collect(),
    };
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplyBody {
    body: String,
    #[serde(default)]
    wait_for_customer: bool,
    /// The newest message the writer had seen (a timeline entry's number, `message-N`; 0: none).
    /// If a customer message or a reply arrived since, nothing is written: 409 `newer_entry`.
    seen: Option<i64>,
    /// Send although something newer arrived.
    #[serde(default)]
    confirm: bool,
    /// The canned reply the text began from (`GET /api/v1/tickets/{case}/canned/{id}`): its
    /// status (unless `wait_for_customer`) and priority go with the reply.
    canned: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Written {
    message_id: Option<i64>,
    /// The `Idempotency-Key` was used before: nothing new was written or sent.
    repeated: bool,
    /// A reply waits until then before it goes (`reply_undo_delay`); until then
    /// `POST /api/v1/tickets/{case}/replies/{message_id}/undo` takes it back.
    #[serde(skip_serializing_if = "Option::is_none")]
    held_until: Option<DateTime<Utc>>,
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| AppError::BadRequest("Idempotency-Key".to_owned()))?
                .trim();
            if key.is_empty() || key.len() > 200 {
                return Err(AppError::BadRequest("Idempotency-Key: 1 to 200 characters".to_owned()));
            }
            Ok(Some(key.to_owned()))
        }
    }
}

/// 201 with the new message, or 200 when its key was used before (nothing new written or sent).
fn written(done: crate::app::answer::Answered) -> Response {
    let status = if done.repeated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = Written {
        message_id: done.message.map(|m| m.get()),
        repeated: done.repeated,
        held_until: done.held_until,
    };
    (status, Json(body)).into_response()
}

async fn write(state: &WebState, who: &ApiAgent, case: &str, a: Answer) -> Result<Response, AppError> {
    let done = answer(&state.app, &who.principal, case, a).await?;
    Ok(written(done))
}

#[utoipa::path(operation_id = "tickets_reply", post, path = "/api/v1/tickets/{case}/reply", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = ReplyBody,
    security(("bearer" = [])),
    responses((status = 201, description = "Written; mailed to the customer at once, or at `held_until` unless undone before", body = Written), (status = 200, description = "The Idempotency-Key was used before: nothing new was sent", body = Written), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn reply(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ReplyBody>,
) -> Result<Response, AppError> {
    let a = Answer {
        body: body.body,
        public: true,
        wait_for_customer: body.wait_for_customer,
        idempotency_key: idempotency_key(&headers)?,
        seen: body.seen.map(Into::into),
        confirm: body.confirm,
        canned: body.canned.map(crate::store::CannedId),
    };
    write(&state, &who, &case, a).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    body: String,
    /// As for a reply: the newest message seen; 409 `newer_entry` if there is a newer one.
    seen: Option<i64>,
    #[serde(default)]
    confirm: bool,
}

#[utoipa::path(operation_id = "tickets_note", post, path = "/api/v1/tickets/{case}/notes", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = NoteBody,
    security(("bearer" = [])),
    responses((status = 201, description = "An internal note", body = Written), (status = 200, description = "The Idempotency-Key was used before", body = Written), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn note(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NoteBody>,
) -> Result<Response, AppError> {
    let a = Answer {
        body: body.body,
        public: false,
        idempotency_key: idempotency_key(&headers)?,
        seen: body.seen.map(Into::into),
        confirm: body.confirm,
        ..Answer::default()
    };
    write(&state, &who, &case, a).await
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Changed {
    changed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusBody {
    #[schema(value_type = String, example = "resolved")]
    status: Status,
}

#[utoipa::path(operation_id = "tickets_status", post, path = "/api/v1/tickets/{case}/status", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = StatusBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Whether it changed", body = Changed), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn status(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Json<Changed>, AppError> {
    let changed = change::set_status(&state.app, &who.principal, &case, body.status).await?;
    Ok(Json(Changed { changed }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriorityBody {
    #[schema(value_type = String, example = "high")]
    priority: Priority,
    reason: String,
}

#[utoipa::path(operation_id = "tickets_priority", post, path = "/api/v1/tickets/{case}/priority", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = PriorityBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Whether it changed", body = Changed), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn priority(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<PriorityBody>,
) -> Result<Json<Changed>, AppError> {
    let changed = change::set_priority(&state.app, &who.principal, &case, body.priority, &body.reason).await?;
    Ok(Json(Changed { changed }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignBody {
    agent: Option<i64>,
    team: Option<i64>,
}

#[utoipa::path(operation_id = "tickets_assign", post, path = "/api/v1/tickets/{case}/assign", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = AssignBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Whether it changed", body = Changed), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn assign(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<AssignBody>,
) -> Result<Json<Changed>, AppError> {
    let to = AssignTo {
        agent: body.agent.map(AgentId),
        team: body.team.map(TeamId),
    };
    let changed = change::assign(&state.app, &who.principal, &case, to).await?;
    Ok(Json(Changed { changed }))
}

#[utoipa::path(operation_id = "tickets_take", post, path = "/api/v1/tickets/{case}/take", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    security(("bearer" = [])),
    responses((status = 200, description = "Whether it changed", body = Changed), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn take(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
) -> Result<Json<Changed>, AppError> {
    let changed = change::take(&state.app, &who.principal, &case).await?;
    Ok(Json(Changed { changed }))
}

#[utoipa::path(operation_id = "tickets_request_info", post, path = "/api/v1/tickets/{case}/request-info", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    security(("bearer" = [])),
    responses((status = 201, description = "The request for the missing information, mailed", body = Written), (status = 200, description = "The Idempotency-Key was used before", body = Written), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn request_info(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let done = crate::app::answer::request_info(&state.app, &who.principal, &case, idempotency_key(&headers)?).await?;
    Ok(written(done))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryBody {
    category: String,
    subcategory: String,
    reason: String,
}

#[utoipa::path(operation_id = "tickets_category", post, path = "/api/v1/tickets/{case}/category", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = CategoryBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Whether it changed", body = Changed), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn category(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<CategoryBody>,
) -> Result<Json<Changed>, AppError> {
    let changed = change::set_category(
        &state.app,
        &who.principal,
        &case,
        &body.category,
        &body.subcategory,
        &body.reason,
    )
    .await?;
    Ok(Json(Changed { changed }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkBody {
    case: String,
}

#[utoipa::path(operation_id = "tickets_link", post, path = "/api/v1/tickets/{case}/link", tag = "agents",
    params(("case" = String, Path, description = "The case number, e.g. WA0000000013")),
    request_body = LinkBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Whether they were not linked yet", body = Changed), (status = 401, description = "No credentials, or no longer good ones"), (status = 404, description = "No such case, or one the caller may not see (the same answer)"), (status = 403, description = "A read token, or a session without the CSRF header"), (status = 409, description = "Not possible in the state the case is in"), (status = 422, description = "A field breaks a rule (SPEC §3.1's body)")))]
pub(crate) async fn link(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<Json<Changed>, AppError> {
    let changed = change::link(&state.app, &who.principal, &case, &body.case).await?;
    Ok(Json(Changed { changed }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MergeBody {
    /// The case this one is merged into.
    into: String,
}

#[utoipa::path(operation_id = "tickets_merge", post, path = "/api/v1/tickets/{case}/merge", tag = "agents",
    params(("case" = String, Path, description = "The case to merge (it closes as `merged`)")),
    request_body = MergeBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Whether it was merged now", body = Changed),
        (status = 401, description = "No credentials"), (status = 403, description = "A read token"),
        (status = 404, description = "Either case unknown or not the caller's to see"),
        (status = 409, description = "The target is closed or merged, or is the case itself")))]
pub(crate) async fn merge(
    State(state): State<WebState>,
    who: ApiAgent,
    Path(case): Path<String>,
    JsonBody(body): JsonBody<MergeBody>,
) -> Result<Json<Changed>, AppError> {
    let changed = change::merge(&state.app, &who.principal, &case, &body.into).await?;
    Ok(Json(Changed { changed }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Undone {
    /// The reply's text, to edit and send again.
    draft: String,
}

#[utoipa::path(operation_id = "tickets_undo_reply", post, path = "/api/v1/tickets/{case}/replies/{message}/undo", tag = "agents",
    params(("case" = String, Path, description = "The case number"), ("message" = i64, Path, description = "The held reply's `message_id`")),
    security(("bearer" = [])),
    responses((status = 200, description = "Taken back: nothing was sent", body = Undone),
        (status = 401, description = "No credentials"), (status = 403, description = "A read token"),
        (status = 404, description = "No such case, or one the caller may not see"),
        (status = 409, description = "`not_held`: the reply has gone, or is not the caller's to undo")))]
pub(crate) async fn undo(
    State(state): State<WebState>,
    who: ApiAgent,
    Path((case, message)): Path<(String, i64)>,
) -> Result<Json<Undone>, AppError> {
    let draft = crate::app::answer::undo(&state.app, &who.principal, &case, message.into()).await?;
    Ok(Json(Undone { draft }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditParams {
    case: Option<String>,
    agent: Option<i64>,
    cursor: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: Option<Named>,
    #[schema(value_type = String, example = "case_reply")]
    action: &'static str,
    case_number: Option<String>,
    agent: Option<i64>,
    team: Option<i64>,
    old_value: Option<String>,
    new_value: Option<String>,
    ip: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditPage {
    entries: Vec<AuditRow>,
    next_cursor: Option<i64>,
}

#[utoipa::path(operation_id = "tickets_audit", get, path = "/api/v1/audit", tag = "agents",
    params(AuditParams),
    security(("bearer" = [])),
    responses((status = 200, description = "Audit rows, newest first", body = AuditPage), (status = 401, description = "No credentials"), (status = 403, description = "Only admins read the audit log")))]
pub(crate) async fn audit(
    State(state): State<WebState>,
    who: ApiAgent,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, AppError> {
    who.principal.may_audit().map_err(|_| AppError::Forbidden)?;
    let prefix = state.app.catalog.case_prefix();
    let ticket = match p.case.as_deref() {
        Some(case) => Some(
            prefix
                .parse(case)
                .ok()
                .and_then(|n| TicketId::of(&n))
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let limit = p.limit.unwrap_or(100).clamp(1, 500);
    let rows = state
        .app
        .store
        .audit_log(AuditQuery {
            ticket,
            agent: p.agent.map(AgentId),
            before: p.cursor,
            limit,
        })
        .await
        .map_err(|e| AppError::from(crate::app::Error::Store(e)))?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let entries = rows
        .into_iter()
        .map(|r| AuditRow {
            id: r.id,
            at: r.entry.at,
            actor: r
                .entry
                .actor
                .zip(r.actor_name)
                .map(|(id, name)| Named { id: id.0, name }),
            action: r.entry.action.as_str(),
            case_number: r
                .entry
                .ticket
                .and_then(|t| t.number(prefix).ok())
                .map(|n| n.to_string()),
            agent: r.entry.agent.map(|a| a.0),
            team: r.entry.team.map(|t| t.0),
            old_value: r.entry.old_value,
            new_value: r.entry.new_value,
            ip: r.entry.ip,
        })
        .collect();
    Ok(Json(AuditPage { entries, next_cursor }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgentBody {
    id: i64,
    email: String,
    name: String,
    #[schema(value_type = String, example = "agent")]
    role: sportello_domain::access::Role,
    teams: Vec<i64>,
    disabled: bool,
    last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AgentsBody {
    agents: Vec<AgentBody>,
}

#[utoipa::path(operation_id = "tickets_agents", get, path = "/api/v1/agents", tag = "agents",
    security(("bearer" = [])),
    responses((status = 200, description = "Every agent, by name", body = AgentsBody),
        (status = 401, description = "No credentials"), (status = 403, description = "Admins only")))]
pub(crate) async fn agents(State(state): State<WebState>, who: ApiAgent) -> Result<Json<AgentsBody>, AppError> {
    who.principal.may_audit().map_err(|_| AppError::Forbidden)?;
    let agents = state
        .app
        .store
        .agents()
        .await
        .map_err(|e| AppError::from(crate::app::Error::Store(e)))?
        .into_iter()
        .map(|a| AgentBody {
            id: a.id.0,
            email: a.email.to_string(),
            name: a.name,
            role: a.role,
            teams: a.teams.iter().map(|t| t.0).collect(),
            disabled: a.disabled_at.is_some(),
            last_seen_at: a.last_seen_at,
        })
        .collect();
    Ok(Json(AgentsBody { agents }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TeamBody {
    id: i64,
    name: String,
    restricted: bool,
    /// `category` or `category/subcategory`.
    owns: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TeamsBody {
    teams: Vec<TeamBody>,
}

#[utoipa::path(operation_id = "tickets_teams", get, path = "/api/v1/teams", tag = "agents",
    security(("bearer" = [])),
    responses((status = 200, description = "Every team with what it owns", body = TeamsBody),
        (status = 401, description = "No credentials"), (status = 403, description = "Admins only")))]
pub(crate) async fn teams(State(state): State<WebState>, who: ApiAgent) -> Result<Json<TeamsBody>, AppError> {
    who.principal.may_audit().map_err(|_| AppError::Forbidden)?;
    let teams = state
        .app
        .store
        .teams()
        .await
        .map_err(|e| AppError::from(crate::app::Error::Store(e)))?
        .into_iter()
        .map(|t| TeamBody {
            id: t.id.0,
            name: t.name,
            restricted: t.restricted,
            owns: t
                .owns
                .into_iter()
                .map(|(c, s)| if s.is_empty() { c } else { format!("{c}/{s}") })
                .collect(),
        })
        .collect();
    Ok(Json(TeamsBody { teams }))
}
