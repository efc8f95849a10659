//! The device-spike rule (SPEC §11; the seed: when reports from one phone model reach 5 %, the
//! engineers ship a fix within 48 hours). Over the last 24 hours one device — model and OS major
//! version — accounts for at least 5 % of the new `technical` cases, at least 20 of them, and at
//! least three times its share of the 30 days before.

use std::collections::HashMap;

use chrono::Duration;

use crate::device::Device;

/// The category whose cases are counted.
pub const CATEGORY: &str = "technical";
pub const WINDOW: Duration = Duration::hours(24);
pub const BASELINE: Duration = Duration::days(30);
pub const MIN_SHARE: f64 = 0.05;
pub const MIN_CASES: u64 = 20;
pub const MIN_RATIO: f64 = 3.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Spike {
    pub device: Device,
    /// Its cases in the window.
    pub cases: u64,
    /// Its share of the window's cases (those naming no model count in the whole).
    pub share: f64,
    /// Its share of the 30 days before.
    pub baseline_share: f64,
}

fn counts<'a>(devices: impl Iterator<Item = &'a Option<Device>>) -> (HashMap<&'a Device, u64>, u64) {
    let mut by_device = HashMap::new();
    let mut all = 0;
    for device in devices {
        all += 1;
        if let Some(d) = device {
            *by_device.entry(d).or_insert(0) += 1;
        }
    }
    (by_device, all)
}

/// The devices that spike in `window` (the last 24 hours' cases, each read as a device or not)
/// against `baseline` (the 30 days before), the largest share first.
pub fn spikes(window: &[Option<Device>], baseline: &[Option<Device>]) -> Vec<Spike> {
    let (now, all_now) = counts(window.iter());
    let (before, all_before) = counts(baseline.iter());
    let mut found: Vec<Spike> = now
        .into_iter()
        .filter_map(|(device, cases)| {
            let share = cases as f64 / all_now as f64;
            let baseline_share = if all_before == 0 {
                0.0
            } else {
                before.get(device).copied().unwrap_or(0) as f64 / all_before as f64
            };
            (cases >= MIN_CASES && share >= MIN_SHARE && share >= MIN_RATIO * baseline_share).then(|| Spike {
                device: device.clone(),
                cases,
                share,
                baseline_share,
            })
        })
        .collect();
    found.sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.device.cmp(&b.device)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(model: &str) -> Option<Device> {
        Some(Device {
            model: model.to_owned(),
            os: Some("Android 14".to_owned()),
        })
    }

    fn many(device: &Option<Device>, n: usize) -> Vec<Option<Device>> {
        std::iter::repeat_n(device.clone(), n).collect()
    }

    #[test]
    fn twenty_cases_at_five_percent_and_triple_the_month_spike() {
        let s23 = d("Galaxy S23");
        // 20 of 400 is 5 %; 1 % over the month before.
        let mut window = many(&s23, 20);
        window.extend(many(&None, 380));
        let mut baseline = many(&s23, 10);
        baseline.extend(many(&d("Pixel 7"), 990));
        let found = spikes(&window, &baseline);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].device, s23.unwrap());
        assert_eq!(found[0].cases, 20);
        assert!((found[0].share - 0.05).abs() < 1e-12);
        assert!((found[0].baseline_share - 0.01).abs() < 1e-12);
    }

    #[test]
    fn each_bound_alone_stops_the_alert() {
        let s23 = d("Galaxy S23");
        // 19 cases, even at 100 %.
        assert!(spikes(&many(&s23, 19), &[]).is_empty());
        // 20 cases at 4.98 %.
        let mut window = many(&s23, 20);
        window.extend(many(&None, 382));
        assert!(spikes(&window, &[]).is_empty());
        // 5 % now, but 2 % before: not three times.
        let mut window = many(&s23, 20);
        window.extend(many(&None, 380));
        let mut baseline = many(&s23, 2);
        baseline.extend(many(&None, 98));
        assert!(spikes(&window, &baseline).is_empty());
    }

    #[test]
    fn another_os_version_is_another_device() {
        let mut window = many(&d("Galaxy S23"), 15);
        window.extend(many(
            &Some(Device {
                model: "Galaxy S23".to_owned(),
                os: Some("Android 13".to_owned()),
            }),
            15,
        ));
        assert!(spikes(&window, &[]).is_empty(), "15 and 15 are not 20");
    }

    proptest! {
        #[test]
        fn every_spike_meets_every_bound(
            window in prop::collection::vec(prop::option::of(0u8..4), 0..300),
            baseline in prop::collection::vec(prop::option::of(0u8..4), 0..300),
        ) {
            let as_devices = |v: &[Option<u8>]| v.iter().map(|o| o.and_then(|i| d(&format!("M{i}")))).collect::<Vec<_>>();
            let (window, baseline) = (as_devices(&window), as_devices(&baseline));
            let found = spikes(&window, &baseline);
            for spike in &found {
                let n = window.iter().filter(|x| x.as_ref() == Some(&spike.device)).count() as u64;
                prop_assert_eq!(n, spike.cases);
                prop_assert!(n >= MIN_CASES);
                prop_assert!(n as f64 >= MIN_SHARE * window.len() as f64);
                let before = baseline.iter().filter(|x| x.as_ref() == Some(&spike.device)).count() as f64;
                if !baseline.is_empty() {
                    prop_assert!(n as f64 / window.len() as f64 >= MIN_RATIO * before / baseline.len() as f64);
                }
            }
            // And no device that meets them is left out.
            let mut models: Vec<&Device> = window.iter().flatten().collect();
            models.sort();
            models.dedup();
            let qualifying = models.iter().filter(|m| {
                let n = window.iter().filter(|x| x.as_ref() == Some(**m)).count() as f64;
                let b = baseline.iter().filter(|x| x.as_ref() == Some(**m)).count() as f64;
                let base = if baseline.is_empty() { 0.0 } else { b / baseline.len() as f64 };
                n >= MIN_CASES as f64 && n / window.len() as f64 >= MIN_SHARE && n / window.len() as f64 >= MIN_RATIO * base
            }).count();
            prop_assert_eq!(qualifying, found.len());
        }
    }
}
