//! Where planning computations run: never on an HTTP worker, at most `threads` at once.
//!
//! Coverage, gaps, site suggestions and collections of service areas can take seconds; on the
//! two or so HTTP workers they would stall `/healthz` and every cheap query queued behind them.
//! Each one waits here for a slot (within its request's deadline), then runs on a blocking
//! thread while the worker goes on serving.

use crate::geo::deadline::{Deadline, TimedOut};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Why a planning computation did not give an answer.
#[derive(Debug, PartialEq, Eq)]
pub enum PlanningError {
    /// No slot came free, or the computation itself ran past, before the deadline.
    TimedOut,
    /// The computation panicked (a bug); the slot is released.
    Failed(String),
}

impl From<TimedOut> for PlanningError {
    fn from(_: TimedOut) -> Self {
        Self::TimedOut
    }
}

#[derive(Clone, Debug)]
pub struct PlanningPool {
    slots: Arc<Semaphore>,
    threads: usize,
}

impl PlanningPool {
    /// A pool running at most `threads` computations at once (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        Self { slots: Arc::new(Semaphore::new(threads)), threads }
    }

    /// One thread per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Computations waiting for a slot or running.
    pub fn busy(&self) -> usize {
        self.threads - self.slots.available_permits()
    }

    /// Runs `work` when a slot is free; gives up with `TimedOut` if none frees before
    /// `deadline`. `work` must check the same deadline in its long loops.
    pub async fn run<T, E>(
        &self,
        deadline: Deadline,
        work: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, PlanningError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let slot = Arc::clone(&self.slots).acquire_owned();
        let slot = match deadline.remaining() {
            Some(left) => tokio::time::timeout(left, slot).await.map_err(|_| PlanningError::TimedOut)?,
            None => slot.await,
        }
        .map_err(|_| PlanningError::Failed("the planning pool is closed".into()))?;
        deadline.check()?;
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        });
        task.await.map_err(|e| PlanningError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn a_full_pool_queues_until_the_deadline() {
        let pool = PlanningPool::new(1);
        let (started, wait) = tokio::sync::oneshot::channel::<()>();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let busy = pool.clone();
        let first = tokio::spawn(async move {
            busy.run(Deadline::none(), move || {
                let _ = started.send(());
                held.recv().map_err(|_| ())
            })
            .await
        });
        wait.await.unwrap();
        assert_eq!(pool.busy(), 1);
        let refused = pool.run(Deadline::after(Duration::from_millis(50)), || Ok::<_, ()>(1)).await;
        assert_eq!(refused, Err(PlanningError::TimedOut));
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(Ok(())));
        assert_eq!(pool.run(Deadline::after(Duration::from_secs(5)), || Ok::<_, ()>(2)).await, Ok(Ok(2)));
        assert_eq!(pool.busy(), 0);
    }
}
