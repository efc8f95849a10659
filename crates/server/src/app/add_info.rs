//! Add information to a case from its status page (SPEC §3.5): text, the catalog fields it lacked,
//! screenshots — under the intake's rules — as a customer follow-up (`reply::follow_up`, the path
//! mail replies take too: it raises the case as SPEC §4 says, and back to `normal` once nothing
//! recommended is missing, SPEC §3.2). A case opened by mail gets the phone and device it waits for.

use std::collections::BTreeMap;

use sportello_domain::case::Status;
use sportello_domain::case_number::CaseNumber;
use sportello_domain::problem::Warning;
use sportello_domain::request::{validate_follow_up, Upload};
use sportello_domain::triage::Priority;

use super::access::CustomerAccess;
use super::conflict::Conflict;
use super::reply::{follow_up, FollowUp};
use super::{App, Error};

/// What the status page's form sends.
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub attachments: Vec<Upload>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub case: CaseNumber,
    /// The priority the case was raised to: the reply bump of SPEC §4, or back to `normal`.
    pub raised_to: Option<Priority>,
    /// Back to `normal`: every recommended field is now there.
    pub restored: bool,
    pub warnings: Vec<Warning>,
}

/// [`Error::Conflict`] when the case no longer takes follow-ups (closed, or resolved over 7 days ago).
#[tracing::instrument(skip_all, fields(case = %access.case()))]
pub async fn add_info(app: &App, access: &CustomerAccess, info: Info) -> Result<Added, Error> {
    let case = app.store.case(access.id()).await?.ok_or(Error::NotFound)?;
    if !case.status.accepts_follow_up(case.resolved_at, app.clock.now()) {
        return Err(Error::Conflict(Conflict::CaseIs(Status::Closed)));
    }
    let category = app.catalog.category(&case.category);
    let given = validate_follow_up(category, &info.message, &info.fields, info.attachments).map_err(Error::Invalid)?;
    // The agent reads the fields in the message too, as a merged request shows them.
    let mut text = given.text.clone();
    let contact = [
        ("phone", given.phone.as_ref().map(|p| p.as_str().to_owned())),
        ("device", given.device.clone()),
    ];
    let contact = contact.iter().filter_map(|(k, v)| v.as_ref().map(|v| (*k, v.as_str())));
    for (field, value) in given
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(contact)
    {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("{field}: {value}"));
    }
    let followed = follow_up(
        app,
        &case,
        FollowUp {
            text,
            evidence: given.attachments,
            fields: given.fields,
            phone: given.phone,
            device: given.device,
            ..FollowUp::default()
        },
    )
    .await?;
    tracing::info!(raised_to = ?followed.raised_to, "information added");
    Ok(Added {
        case: access.case().clone(),
        raised_to: followed.raised_to,
        restored: followed.restored,
        warnings: given.warnings,
    })
}
