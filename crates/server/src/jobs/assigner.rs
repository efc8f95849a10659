//! Hands out the cases of the teams that assign automatically (SPEC §8), every two seconds: a new
//! case reaches an agent within moments, and an agent who frees up gets the soonest-due waiting one.

use std::time::Duration;

use crate::app::assign::assign_waiting;
use crate::app::App;

const EVERY: Duration = Duration::from_secs(2);

pub struct Assigner {
    pub app: App,
}

impl Assigner {
    pub async fn run(self) {
        super::every(EVERY, "assigner", || assign_waiting(&self.app)).await;
    }
}
