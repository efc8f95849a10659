//! `/desk/admin` (SPEC §6): admins invite agents (the set-password link shown once), change their
//! role and teams, disable them; and read the audit log, whole, per case or per agent, as a page
//! or as CSV.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sportello_domain::access::{AgentId, Principal, Role, TeamId};

use super::{Checked, DeskFrame};
use crate::app::agents::{self, AgentInput, TeamChange, TeamInput};
use crate::store::{AuditQuery, AuditRecord, TicketId};
use crate::web::error::AppError;
use crate::web::extract::DeskAgent;
use crate::web::pages::{html, moment, percent_encode, see_other, Tr};
use crate::web::spreadsheet::cell;
use crate::web::WebState;

pub struct TeamRow {
    id: i64,
    name: String,
    restricted: bool,
    assignment: &'static str,
    capacity: u32,
    /// What it owns, in the catalog's words for the reader.
    owns: String,
}

pub struct AgentRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    teams: Vec<String>,
    disabled: bool,
    last_seen: String,
    languages: String,
    subcategories: String,
}

#[derive(Template)]
#[template(path = "desk/admin.html")]
struct AdminPage {
    frame: DeskFrame,
    notice: Option<String>,
    invite_link: Option<String>,
    roles: Vec<(&'static str, String)>,
    teams: Vec<(String, String)>,
    agents: Vec<AgentRow>,
    team_rows: Vec<TeamRow>,
    /// The assignment modes, with their labels.
    modes: Vec<(&'static str, String)>,
    /// Every category and sub-category a team can own: (`category[/sub]`, label).
    parts: Vec<(String, String)>,
}

fn admin_only(me: &DeskAgent) -> Result<(), AppError> {
    me.principal.may_administer().map_err(|_| AppError::Forbidden)
}

async fn page(state: &WebState, me: &DeskAgent, notice: Option<String>, invite_link: Option<String>) -> Response {
    let t = &me.prefs.t;
    let now = state.app.clock.now();
    let (agents, teams) = match (state.app.store.agents().await, state.app.store.teams().await) {
        (Ok(a), Ok(t)) => (a, t),
        (Err(e), _) | (_, Err(e)) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    };
    let rows = agents
        .into_iter()
        .map(|a| AgentRow {
            id: a.id.0,
            name: a.name,
            email: a.email.to_string(),
            role: a.role.as_str(),
            teams: a.teams.iter().map(|t| t.0.to_string()).collect(),
            disabled: a.disabled_at.is_some(),
            languages: a.languages.join(", "),
            subcategories: a.subcategories.join(", "),
            last_seen: a
                .last_seen_at
                .map_or_else(|| t.msg("desk-never"), |at| moment(t, at, now, me.prefs.tz)),
        })
        .collect();
    let lang = t.lang().code();
    let catalog = &state.app.catalog;
    let label = |category: &str, sub: &str| {
        let Some(c) = catalog.category(category) else {
            return format!("{category}/{sub}");
        };
        match c.subcategory(sub) {
            Some(s) => format!("{} › {}", c.label.get(&lang), s.label.get(&lang)),
            None => c.label.get(&lang).to_owned(),
        }
    };
    let parts = catalog
        .categories()
        .iter()
        .flat_map(|c| {
            std::iter::once((c.id.clone(), label(&c.id, ""))).chain(
                c.subcategories
                    .iter()
                    .map(|s| (format!("{}/{}", c.id, s.id), label(&c.id, &s.id))),
            )
        })
        .collect();
    let team_rows = teams
        .iter()
        .map(|team| TeamRow {
            id: team.id.0,
            name: team.name.clone(),
            restricted: team.restricted,
            assignment: team.assignment.as_str(),
            capacity: team.capacity,
            owns: team
                .owns
                .iter()
                .map(|(c, s)| label(c, s))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let page = AdminPage {
        frame: DeskFrame::new(&me.prefs, t.msg("desk-admin"), Some(&me.agent)),
        notice,
        invite_link,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), t.msg(&format!("role-{r}"))))
            .collect(),
        teams: teams
            .iter()
            .map(|team| (team.id.0.to_string(), team.name.clone()))
            .collect(),
        agents: rows,
        team_rows,
        parts,
        modes: sportello_domain::assignment::Mode::ALL
            .iter()
            .map(|m| (m.as_str(), t.msg(&format!("mode-{m}"))))
            .collect(),
    };
    html(StatusCode::OK, &page, &me.prefs)
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

impl Done {
    /// What was just done, in words (`?done=` names it; only its letters are read).
    pub fn notice(&self, t: &Tr) -> Option<String> {
        self.done.as_deref().map(|d| {
            t.msg(&format!(
                "desk-done-{}",
                d.chars().filter(char::is_ascii_lowercase).collect::<String>()
            ))
        })
    }
}

pub async fn show(State(state): State<WebState>, me: DeskAgent, Query(done): Query<Done>) -> Response {
    if let Err(refused) = admin_only(&me) {
        return refused.into_response();
    }
    let notice = done.notice(&me.prefs.t);
    page(&state, &me, notice, None).await
}

fn role_of(form: &crate::web::posted::Posted) -> Result<Role, AppError> {
    form.text("role")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| AppError::BadRequest("role".to_owned()))
}

pub async fn invite(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let role = match role_of(&form) {
        Ok(r) => r,
        Err(refused) => return refused.into_response(),
    };
    let teams = match state.app.store.teams().await {
        Ok(teams) => teams,
        Err(e) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    };
    let wanted: Vec<String> = form
        .all("team")
        .iter()
        .filter_map(|id| teams.iter().find(|t| t.id.0.to_string() == *id))
        .map(|t| t.name.clone())
        .collect();
    let input = AgentInput {
        email: form.text("email").unwrap_or_default().to_owned(),
        name: form.text("name").unwrap_or_default().to_owned(),
        role,
        teams: wanted,
        password: None,
        mail_link: true,
    };
    match agents::add_agent(&state.app, &me.principal, input).await {
        // Shown here, once; it is not kept anywhere but as a hash.
        Ok(added) => page(&state, &me, None, added.link).await,
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn change(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(agent): Path<i64>,
    Checked(form): Checked,
) -> Response {
    let role = match role_of(&form) {
        Ok(r) => r,
        Err(refused) => return refused.into_response(),
    };
    let teams: Vec<TeamId> = form
        .all("team")
        .iter()
        .filter_map(|t| t.parse().ok())
        .map(TeamId)
        .collect();
    if let Err(e) = agents::set_role_and_teams(&state.app, &me.principal, AgentId(agent), role, teams).await {
        return AppError::from_app(e, me.prefs.t.lang()).into_response();
    }
    if let (Some(languages), Some(subcategories)) = (form.text("languages"), form.text("subcategories")) {
        if let Err(e) = agents::set_skills(&state.app, &me.principal, AgentId(agent), languages, subcategories).await {
            return AppError::from_app(e, me.prefs.t.lang()).into_response();
        }
    }
    see_other("/desk/admin?done=agent")
}

pub async fn disable(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(agent): Path<i64>,
    _checked: Checked,
) -> Response {
    let email = match state.app.store.agent(AgentId(agent)).await {
        Ok(Some(a)) => a.email.to_string(),
        Ok(None) => return AppError::NotFound.into_response(),
        Err(e) => return AppError::from(crate::app::Error::Store(e)).into_response(),
    };
    match agents::disable_agent(&state.app, &me.principal, &email).await {
        Ok(_) => see_other("/desk/admin?done=disabled"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn add_team(State(state): State<WebState>, me: DeskAgent, Checked(form): Checked) -> Response {
    let input = TeamInput {
        name: form.text("name").unwrap_or_default().to_owned(),
        owns: form.all("owns"),
        restricted: form.text("restricted").is_some(),
    };
    match agents::add_team(&state.app, &me.principal, input).await {
        Ok(_) => see_other("/desk/admin?done=team#teams"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

pub async fn change_team(
    State(state): State<WebState>,
    me: DeskAgent,
    Path(team): Path<i64>,
    Checked(form): Checked,
) -> Response {
    let assignment = match (form.text("assignment"), form.text("capacity")) {
        (Some(mode), Some(capacity)) => {
            let mode = mode.parse().map_err(|_| AppError::BadRequest("assignment".to_owned()));
            let capacity = capacity
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|c| (1..=1_000).contains(c))
                .ok_or_else(|| AppError::BadRequest("capacity: 1 to 1000".to_owned()));
            match (mode, capacity) {
                (Ok(m), Ok(c)) => Some((m, c)),
                (Err(e), _) | (_, Err(e)) => return e.into_response(),
            }
        }
        _ => None,
    };
    let change = TeamChange {
        restricted: form.text("restricted").is_some(),
        takes: form.all("takes"),
        assignment,
    };
    match agents::change_team(&state.app, &me.principal, TeamId(team), change).await {
        Ok(_) => see_other("/desk/admin?done=team#teams"),
        Err(e) => AppError::from_app(e, me.prefs.t.lang()).into_response(),
    }
}

/// The audit log's query string: `case`, `agent`, `before` (an id, for the next page).
#[derive(Debug, Default, Deserialize)]
pub struct AuditParams {
    case: Option<String>,
    agent: Option<i64>,
    before: Option<i64>,
}

const PAGE: i64 = 100;
/// One CSV export holds at most this many rows (newest first); `before` pages further back.
const CSV_ROWS: i64 = 100_000;

async fn rows(state: &WebState, who: &Principal, p: &AuditParams, limit: i64) -> Result<Vec<AuditRecord>, AppError> {
    who.may_audit().map_err(|_| AppError::Forbidden)?;
    let ticket = match p.case.as_deref().filter(|c| !c.is_empty()) {
        Some(case) => Some(
            state
                .app
                .catalog
                .case_prefix()
                .parse(case)
                .ok()
                .and_then(|n| TicketId::of(&n))
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let q = AuditQuery {
        ticket,
        agent: p.agent.map(AgentId),
        before: p.before,
        limit,
    };
    state
        .app
        .store
        .audit_log(q)
        .await
        .map_err(|e| AppError::from(crate::app::Error::Store(e)))
}

fn describe(t: &Tr, r: &AuditRecord) -> (String, String) {
    let e = &r.entry;
    let what = t.msg(&format!("audit-{}", e.action));
    let change = match (&e.old_value, &e.new_value) {
        (Some(old), Some(new)) => format!("{old} → {new}"),
        (None, Some(new)) => new.clone(),
        (Some(old), None) => old.clone(),
        (None, None) => String::new(),
    };
    (what, change)
}

#[derive(Template)]
#[template(path = "desk/audit.html")]
struct AuditPage {
    frame: DeskFrame,
    csv_href: String,
    rows: Vec<(String, String, String, String, String, String)>,
    next_href: Option<String>,
}

fn query_of(p: &AuditParams, before: Option<i64>) -> String {
    let mut pairs = Vec::new();
    if let Some(c) = p.case.as_deref().filter(|c| !c.is_empty()) {
        pairs.push(format!("case={}", percent_encode(c)));
    }
    if let Some(a) = p.agent {
        pairs.push(format!("agent={a}"));
    }
    if let Some(b) = before {
        pairs.push(format!("before={b}"));
    }
    pairs.join("&")
}

pub async fn audit(State(state): State<WebState>, me: DeskAgent, Query(p): Query<AuditParams>) -> Response {
    let records = match rows(&state, &me.principal, &p, PAGE).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let t = &me.prefs.t;
    let now = state.app.clock.now();
    let prefix = state.app.catalog.case_prefix();
    let next_href = (records.len() as i64 == PAGE)
        .then(|| {
            records
                .last()
                .map(|r| format!("/desk/admin/audit?{}", query_of(&p, Some(r.id))))
        })
        .flatten();
    let rows = records
        .iter()
        .map(|r| {
            let (what, change) = describe(t, r);
            (
                r.entry.at.to_rfc3339(),
                moment(t, r.entry.at, now, me.prefs.tz),
                r.actor_name.clone().unwrap_or_else(|| t.msg("desk-system")),
                what,
                r.entry
                    .ticket
                    .and_then(|id| id.number(prefix).ok())
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                change,
            )
        })
        .collect();
    let page = AuditPage {
        frame: DeskFrame::new(&me.prefs, t.msg("desk-audit"), Some(&me.agent)),
        csv_href: format!("/desk/admin/audit.csv?{}", query_of(&p, p.before)),
        rows,
        next_href,
    };
    html(StatusCode::OK, &page, &me.prefs)
}

pub async fn audit_csv(State(state): State<WebState>, me: DeskAgent, Query(p): Query<AuditParams>) -> Response {
    let records = match rows(&state, &me.principal, &p, CSV_ROWS).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let prefix = state.app.catalog.case_prefix();
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "at",
        "actor_id",
        "actor",
        "action",
        "case",
        "agent_id",
        "team_id",
        "old_value",
        "new_value",
        "ip",
    ];
    let mut written = out.write_record(header).is_ok();
    for r in &records {
        let e = &r.entry;
        let number = e
            .ticket
            .and_then(|id| id.number(prefix).ok())
            .map(|n| n.to_string())
            .unwrap_or_default();
        let fields = [
            r.id.to_string(),
            e.at.to_rfc3339(),
            e.actor.map(|a| a.0.to_string()).unwrap_or_default(),
            cell(r.actor_name.as_deref().unwrap_or("system")),
            e.action.as_str().to_owned(),
            number,
            e.agent.map(|a| a.0.to_string()).unwrap_or_default(),
            e.team.map(|t| t.0.to_string()).unwrap_or_default(),
            cell(e.old_value.as_deref().unwrap_or("")),
            cell(e.new_value.as_deref().unwrap_or("")),
            e.ip.clone().unwrap_or_default(),
        ];
        written &= out.write_record(&fields).is_ok();
    }
    let body = match (written, out.into_inner()) {
        (true, Ok(bytes)) => bytes,
        _ => return AppError::Internal(anyhow::anyhow!("the CSV could not be written")).into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"sportello-audit.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
