//! Organisations (SPEC §10): a name, verified or not, a monthly free quota counted in its own time
//! zone, and the e-mail domains and phone numbers that identify its people (each belongs to one
//! organisation). Intake finds a contact's organisation in its own transaction (`intake.rs`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sportello_domain::contact::phone::Phone;
use sportello_domain::organisation::Business;

use super::columns::{corrupt, ms, Columns};
use super::{Store, StoreError, WriteTx};

/// An organisation's id, as URLs and the API name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct OrganisationId(pub i64);

/// An organisation as an admin writes it (domains already in their one written form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    pub verified: bool,
    pub domains: Vec<String>,
    pub phones: Vec<Phone>,
    pub monthly_quota: i64,
    pub time_zone: Tz,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationRecord {
    pub id: OrganisationId,
    pub organisation: Organisation,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a new case takes from its contact's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessCase {
    pub organisation: OrganisationId,
    pub standing: Business,
    /// Beyond the month's free quota (still accepted; listed for billing).
    pub over_quota: bool,
}

/// One row of the monthly billing list: a case of an organisation beyond its free quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverQuotaRow {
    pub organisation: String,
    pub ticket: super::TicketId,
    pub created_at: DateTime<Utc>,
}

/// A stored time zone; one that names no zone is a corrupt row.
pub(super) fn zone(text: &str) -> Result<Tz, StoreError> {
    text.parse()
        .map_err(|_| corrupt("organisations.time_zone", format!("`{text}`")))
}

impl Store {
    /// The organisations not removed, by name.
    pub async fn organisations(&self) -> Result<Vec<OrganisationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, verified, monthly_quota, time_zone, created_at, updated_at FROM organisations \
             WHERE removed_at IS NULL ORDER BY name, id",
        )
        .fetch_all(&self.reads)
        .await?;
        let domains = sqlx::query("SELECT organisation_id, domain FROM organisation_domains ORDER BY domain")
            .fetch_all(&self.reads)
            .await?;
        let phones = sqlx::query("SELECT organisation_id, phone FROM organisation_phones ORDER BY phone")
            .fetch_all(&self.reads)
            .await?;
        rows.iter()
            .map(|row| {
                let c = Columns(row);
                let id = c.i64("id")?;
                let mine = |r: &&sqlx::any::AnyRow| Columns(*r).i64("organisation_id").is_ok_and(|o| o == id);
                Ok(OrganisationRecord {
                    id: OrganisationId(id),
                    organisation: Organisation {
                        name: c.text("name")?,
                        verified: c.flag("verified")?,
                        domains: domains
                            .iter()
                            .filter(mine)
                            .map(|r| Columns(r).text("domain"))
                            .collect::<Result<_, _>>()?,
                        phones: phones
                            .iter()
                            .filter(mine)
                            .map(|r| {
                                let p = Columns(r).text("phone")?;
                                Phone::from_e164(&p).map_err(|e| corrupt("organisation_phones.phone", e))
                            })
                            .collect::<Result<_, _>>()?,
                        monthly_quota: c.i64("monthly_quota")?,
                        time_zone: zone(&c.text("time_zone")?)?,
                    },
                    created_at: c.time("created_at")?,
                    updated_at: c.time("updated_at")?,
                })
            })
            .collect()
    }

    pub async fn organisation(&self, id: OrganisationId) -> Result<Option<OrganisationRecord>, StoreError> {
        Ok(self.organisations().await?.into_iter().find(|o| o.id == id))
    }

    /// The organisation's cases of `[from, to)` beyond its quota, oldest first.
    pub async fn over_quota(
        &self,
        org: OrganisationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OverQuotaRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.name, t.id, t.created_at FROM tickets t JOIN organisations o ON o.id = t.organisation_id \
             WHERE t.organisation_id = $1 AND t.over_quota = 1 AND t.created_at >= $2 AND t.created_at < $3 \
             ORDER BY t.created_at, t.id",
        )
        .bind(org.0)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                Ok(OverQuotaRow {
                    organisation: c.text("name")?,
                    ticket: super::TicketId(c.i64("id")?),
                    created_at: c.time("created_at")?,
                })
            })
            .collect()
    }
}

impl WriteTx {
    /// A new organisation; a name, domain or phone already taken is [`StoreError::Conflict`].
    pub async fn add_organisation(
        &mut self,
        o: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<OrganisationId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO organisations (name, verified, monthly_quota, time_zone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&o.name)
        .bind(i64::from(o.verified))
        .bind(o.monthly_quota)
        .bind(o.time_zone.name())
        .bind(ms(now))
        .fetch_one(self.conn())
        .await?;
        let id = OrganisationId(Columns(&row).i64("id")?);
        self.identify(id, o).await?;
        Ok(id)
    }

    /// Writes the organisation anew; false when there is none.
    pub async fn change_organisation(
        &mut self,
        id: OrganisationId,
        o: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE organisations SET name = $1, verified = $2, monthly_quota = $3, time_zone = $4, updated_at = $5 \
             WHERE id = $6 AND removed_at IS NULL",
        )
        .bind(&o.name)
        .bind(i64::from(o.verified))
        .bind(o.monthly_quota)
        .bind(o.time_zone.name())
        .bind(ms(now))
        .bind(id.0)
        .execute(self.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        self.forget_people(id).await?;
        self.identify(id, o).await?;
        Ok(true)
    }

    /// Marks it removed and frees its domains and phones; its cases keep naming it.
    pub async fn remove_organisation(&mut self, id: OrganisationId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE organisations SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
            .bind(ms(now))
            .bind(id.0)
            .execute(self.conn())
            .await?
            .rows_affected();
        self.forget_people(id).await?;
        Ok(n > 0)
    }

    async fn forget_people(&mut self, id: OrganisationId) -> Result<(), StoreError> {
        for table in ["organisation_domains", "organisation_phones"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE organisation_id = $1"))
                .bind(id.0)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    async fn identify(&mut self, id: OrganisationId, o: &Organisation) -> Result<(), StoreError> {
        for domain in &o.domains {
            sqlx::query("INSERT INTO organisation_domains (domain, organisation_id) VALUES ($1, $2)")
                .bind(domain)
                .bind(id.0)
                .execute(self.conn())
                .await?;
        }
        for phone in &o.phones {
            sqlx::query("INSERT INTO organisation_phones (phone, organisation_id) VALUES ($1, $2)")
                .bind(phone.as_str())
                .bind(id.0)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }
}
