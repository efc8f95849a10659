//! The device-spike watcher (SPEC §11): every few minutes, reads the devices of the last 31 days'
//! technical cases, applies the domain's rule, and raises each spike once per model and day — an
//! alert row (unique, so several instances raise it once), its audit row and the
//! `alert.device_spike` webhook event, in one transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sportello_domain::alert::{self, Spike};
use sportello_domain::audit::Action;
use sportello_domain::device::{self, Device};

use crate::app::{App, Error};
use crate::store::{AlertRecord, AuditEntry};
use crate::webhooks::{DeviceSpike, Event};

/// How often the watcher looks: a spike is a matter of hours (the seed's fix ships within 48).
pub const EVERY: Duration = Duration::from_secs(300);

pub const DEVICE_SPIKE: &str = "device_spike";

pub struct SpikeWatcher {
    pub app: App,
}

impl SpikeWatcher {
    /// One pass at the clock's now: the spikes raised by it (tests call it after setting the clock).
    pub async fn pass(&self) -> Result<Vec<Spike>, Error> {
        let now = self.app.clock.now();
        let start = now - alert::WINDOW;
        let cases = self
            .app
            .store
            .category_devices(alert::CATEGORY, start - alert::BASELINE)
            .await?;
        let (mut window, mut baseline) = (Vec::new(), Vec::new());
        for (created_at, typed) in &cases {
            let read = device::read(typed);
            if *created_at >= start {
                window.push(read);
            } else {
                baseline.push(read);
            }
        }
        let mut raised = Vec::new();
        for spike in alert::spikes(&window, &baseline) {
            if self.raise(&spike, now).await? {
                tracing::warn!(device = %device::label(&spike.device), cases = spike.cases, share = spike.share, "device spike");
                raised.push(spike);
            }
        }
        Ok(raised)
    }

    async fn raise(&self, spike: &Spike, now: DateTime<Utc>) -> Result<bool, Error> {
        let Device { model, os } = &spike.device;
        let record = AlertRecord {
            kind: DEVICE_SPIKE.to_owned(),
            model: model.clone(),
            os: os.clone().unwrap_or_default(),
            day: now.date_naive().to_string(),
            share_ppm: (spike.share * 1e6).round() as i64,
            cases: i64::try_from(spike.cases).unwrap_or(i64::MAX),
            at: now,
        };
        let mut tx = self.app.store.begin_write().await?;
        let raised = tx.raise_alert(&record).await?;
        if raised {
            let mut entry = AuditEntry::new(now, None, Action::AlertRaised);
            entry.new_value = Some(device::label(&spike.device));
            tx.audit(&entry).await?;
            let event = Event::DeviceSpike(DeviceSpike {
                model: model.clone(),
                os: os.clone(),
                share: spike.share,
                cases: record.cases,
                baseline_share: spike.baseline_share,
            });
            tx.emit(None, &event, now).await?;
        }
        tx.commit().await?;
        Ok(raised)
    }

    pub async fn run(self) {
        super::every(EVERY, "device-spike watcher", || self.pass()).await;
    }
}
