//! The live estimate of a new case's first answer (SPEC §11), from a picture of the queues read a
//! few times a minute: the domain's rule (`sportello_domain::estimate`) applied to the work ahead
//! of the case in its team's queue and the team's answers of the last week. Intake never waits
//! for the database for it: the picture is at most [`FRESH_FOR`] old, and only one request at a
//! time refreshes it.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use sportello_domain::access::TeamId;
use sportello_domain::catalog::{Catalog, Category};
use sportello_domain::estimate::{self, Pace};
use sportello_domain::triage::{self, Due, Priority};

use super::{App, Error};
use crate::store::ForecastInputs;

/// How old the picture of the queues may be.
pub const FRESH_FOR: Duration = Duration::seconds(15);

/// The queues as last read.
#[derive(Debug, Clone)]
pub struct Forecast {
    inputs: ForecastInputs,
    /// On the use cases' clock (a test's clock moves it on).
    read_at: DateTime<Utc>,
}

impl Forecast {
    fn fresh_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.read_at && now - self.read_at < FRESH_FOR
    }

    /// The team a new case goes to, as intake routes it (its sub-category's owner, else its
    /// category's).
    fn team(&self, category: &str, subcategory: &str) -> Option<TeamId> {
        let owner = |sub: &str| self.inputs.owners.get(&(category.to_owned(), sub.to_owned())).copied();
        owner(subcategory).or_else(|| owner(""))
    }

    /// When the first answer of a case created `now` can be expected.
    pub fn expected(
        &self,
        catalog: &Catalog,
        category: &Category,
        subcategory: &str,
        priority: Priority,
        due: &Due,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let team = self.team(&category.id, subcategory);
        // The queue is worked most urgent first: the cases as urgent or more are ahead.
        let ahead = self
            .inputs
            .waiting
            .iter()
            .filter(|((t, p), _)| *t == team && *p <= priority)
            .map(|(_, n)| n)
            .sum();
        let calendar = triage::calendar(catalog, category, priority);
        let pace = self.inputs.answered.get(&team).map(|answered| Pace {
            answered: *answered,
            working: calendar.working_between(now - estimate::LOOKBACK, now),
        });
        estimate::expected_first_response(now, ahead, pace, calendar, due.first_response_due)
    }
}

#[derive(Debug, Default)]
pub struct Forecaster {
    current: RwLock<Option<Arc<Forecast>>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl Forecaster {
    /// The picture of the queues, read again when it is older than [`FRESH_FOR`]. While one
    /// request reads it, the others go on with the one before.
    pub async fn current(&self, app: &App) -> Result<Arc<Forecast>, Error> {
        let now = app.clock.now();
        let known = self.current.read().ok().and_then(|c| c.clone());
        if let Some(forecast) = known.as_ref().filter(|f| f.fresh_at(now)) {
            return Ok(Arc::clone(forecast));
        }
        let guard = match (&known, self.refreshing.try_lock()) {
            (Some(forecast), Err(_)) => return Ok(Arc::clone(forecast)),
            (_, Ok(guard)) => guard,
            (None, Err(_)) => self.refreshing.lock().await,
        };
        let fresh = self.current.read().ok().and_then(|c| c.clone());
        if let Some(forecast) = fresh.filter(|f| f.fresh_at(now)) {
            return Ok(forecast);
        }
        let inputs = app.store.forecast_inputs(now - estimate::LOOKBACK).await?;
        let forecast = Arc::new(Forecast { inputs, read_at: now });
        if let Ok(mut current) = self.current.write() {
            *current = Some(Arc::clone(&forecast));
        }
        drop(guard);
        Ok(forecast)
    }
}
