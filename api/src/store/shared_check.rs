//! Revision checks shared by concurrent callers (like a group commit). A caller needs a check
//! that *started* after it arrived, so it waits for the check in flight to end and then either
//! finds that a later-started one has finished or runs one itself. Under load this is one small
//! query per round trip instead of one per request, with the same guarantee: whatever was
//! committed before the call is seen.

use super::StoreResult;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

#[derive(Debug, Default)]
pub(super) struct SharedCheck {
    running: tokio::sync::Mutex<()>,
    /// How many checks have started, and the number of the last one that finished.
    started: AtomicU64,
    completed: AtomicU64,
}

impl SharedCheck {
    pub(super) async fn run<F: Future<Output = StoreResult<()>>>(&self, check: impl FnOnce() -> F) -> StoreResult<()> {
        let arrived_after = self.started.load(SeqCst);
        let _running = self.running.lock().await;
        if self.completed.load(SeqCst) > arrived_after {
            return Ok(());
        }
        let number = self.started.fetch_add(1, SeqCst) + 1;
        check().await?;
        self.completed.store(number, SeqCst);
        Ok(())
    }
}
