//! Sends the replies agents let go of (SPEC §7): each waits `reply_undo_delay` to be undone, then
//! this job sends it. Checked every second, so a reply leaves at most a second after its hold.

use std::time::Duration;

use crate::app::answer::send_held;
use crate::app::App;

const EVERY: Duration = Duration::from_secs(1);

pub struct HeldReplies {
    pub app: App,
}

impl HeldReplies {
    pub async fn run(self) {
        super::every(EVERY, "held replies", || send_held(&self.app)).await;
    }
}
