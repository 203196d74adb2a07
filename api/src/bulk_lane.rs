//! Where requests with large bodies run: a small runtime of its own at the planning threads'
//! lower priority, so that decoding and validating half a megabyte of variables (10,000
//! candidate points, a 40,000-tag list) never holds an HTTP worker while a health check or a
//! nearby search waits behind it on the same event loop.

use std::future::Future;

/// Bodies larger than this run on the bulk lane; a typical query is well under 4 KiB.
pub const BULK_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct BulkLane {
    runtime: std::sync::Arc<Lane>,
}

#[derive(Debug)]
struct Lane(Option<tokio::runtime::Runtime>);

/// The last handle may be dropped on an HTTP worker as the server stops, where a blocking
/// runtime shutdown would panic: the lane's threads are told to stop instead.
impl Drop for Lane {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl BulkLane {
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("bulk")
            .on_thread_start(crate::planning_pool::lower_priority)
            .enable_all()
            .build()?;
        Ok(Self { runtime: std::sync::Arc::new(Lane(Some(runtime))) })
    }

    /// Runs `work` on the lane and waits for its result; `None` if it panicked or the lane is
    /// stopping.
    pub async fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> Option<T> {
        self.runtime.0.as_ref()?.spawn(work).await.ok()
    }
}
