//! What `/healthz` reports: the database is checked in the background once a second, on the
//! store's own health connection, and a probe is answered from the last check. Answering a
//! probe then takes no database round trip and no other thread, so a load balancer's probe
//! gets its answer at once even while every worker and core is busy with requests.

use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_secs(1);
/// A check older than this means the checking itself is stuck: the process is not healthy.
const STALE_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Health {
    database_answers: AtomicBool,
    checked: std::sync::Mutex<Instant>,
}

impl Health {
    /// Checks once, then keeps checking on the current runtime until the process ends.
    pub async fn start(store: Store) -> Arc<Self> {
        let health =
            Arc::new(Self { database_answers: AtomicBool::new(store.ping().await), checked: Instant::now().into() });
        let checking = Arc::clone(&health);
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(EVERY).await;
                checking.record(store.ping().await);
            }
        });
        health
    }

    fn record(&self, answers: bool) {
        self.database_answers.store(answers, Ordering::Relaxed);
        if let Ok(mut checked) = self.checked.lock() {
            *checked = Instant::now();
        }
    }

    /// Whether the last check, made within the last few seconds, reached the database.
    pub fn is_healthy(&self) -> bool {
        let recent = self.checked.lock().is_ok_and(|checked| checked.elapsed() < STALE_AFTER);
        recent && self.database_answers.load(Ordering::Relaxed)
    }
}
