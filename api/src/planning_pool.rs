//! Where planning computations run: never on an HTTP worker, at most `threads` at once, and
//! fairly between clients.
//!
//! Coverage, gaps, site suggestions and collections of service areas can take seconds; on the
//! two or so HTTP workers they would stall `/healthz` and every cheap query queued behind them.
//! Each one waits here for a slot (within its request's deadline), then runs on one of the
//! pool's own threads while the worker goes on serving. Those threads run at the lowest CPU
//! priority of normal threads (nice 19, SCHED_BATCH) below the HTTP workers (nice 0), so when
//! the cores are contended a health check or a nearby search is answered first and planning
//! takes what is left. When a slot frees, it goes to the waiting client
//! that has used the least planning time lately (decaying with a half-life of a minute), so a
//! client sending expensive questions as fast as its rate limit allows waits behind everyone
//! else instead of keeping the pool to itself.

use crate::geo::deadline::{Deadline, TimedOut};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::net::IpAddr;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How fast a client's past planning time is forgiven.
const HALF_LIFE: Duration = Duration::from_secs(60);
/// Clients remembered at most; the least recent are forgotten first.
const MAX_CLIENTS: usize = 10_000;

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
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    threads: usize,
    state: Mutex<State>,
    /// Work for the pool's threads; they end when the pool is dropped.
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The priority of planning threads on thread-priority's 0-99 scale, which maps 0 to nice 19.
/// At nice 10 (weight 110 against the workers' 1024) two planning threads on two cores still
/// took enough CPU under attack to hold a nearby search's p99 above 50 ms; at nice 19 (weight
/// 15) they take what the workers leave.
const PLANNING_PRIORITY: u8 = 0;

/// Starts `threads` planning threads reading `jobs`.
fn start_threads(threads: usize, jobs: std::sync::mpsc::Receiver<Job>) {
    let jobs = Arc::new(Mutex::new(jobs));
    for i in 0..threads {
        let jobs = Arc::clone(&jobs);
        let started = std::thread::Builder::new().name(format!("planning-{i}")).spawn(move || {
            lower_priority();
            loop {
                let job =
                    jobs.lock().unwrap_or_else(PoisonError::into_inner).recv_timeout(crate::memory_release::IDLE_CHECK);
                let job = match job {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        crate::memory_release::release_this_thread();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                // A panicking computation fails its request, not the thread.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        });
        if let Err(e) = started {
            tracing::error!(error = %e, "a planning thread could not be started");
        }
    }
}

/// Nice 19 and SCHED_BATCH (no wake-up preemption of other threads) for the calling thread
/// (Linux's niceness is per thread). Lowering one's priority needs no privilege; if it fails
/// anyway, planning runs at the normal priority.
pub(crate) fn lower_priority() {
    use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy};
    let Ok(value) = PLANNING_PRIORITY.try_into() else { return };
    let policy = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    let set = thread_priority::set_thread_priority_and_policy(
        thread_priority::thread_native_id(),
        ThreadPriority::Crossplatform(value),
        policy,
    );
    if let Err(e) = set {
        tracing::warn!(error = ?e, "planning threads run at normal priority");
    }
}

#[derive(Debug, Default)]
struct State {
    running: usize,
    waiting: BinaryHeap<Waiter>,
    usage: HashMap<Option<IpAddr>, Usage>,
    arrivals: u64,
}

/// A client's planning time, decayed to `at`.
#[derive(Clone, Copy, Debug)]
struct Usage {
    seconds: f64,
    at: Instant,
}

impl Usage {
    fn now(self, now: Instant) -> f64 {
        let age = now.saturating_duration_since(self.at).as_secs_f64();
        self.seconds * 0.5f64.powf(age / HALF_LIFE.as_secs_f64())
    }
}

#[derive(Debug)]
struct Waiter {
    /// The client's usage when it arrived: the lower, the sooner.
    usage: f64,
    arrival: u64,
    wake: oneshot::Sender<Slot>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// The heap's greatest is served first: least usage, then first come.
    fn cmp(&self, other: &Self) -> Ordering {
        other.usage.total_cmp(&self.usage).then(other.arrival.cmp(&self.arrival))
    }
}

/// One running computation's hold on the pool; dropping it (the work is done, panicked, or
/// was handed a slot it no longer wants) charges the client and passes the slot on.
#[derive(Debug)]
struct Slot {
    shared: Arc<Shared>,
    client: Option<IpAddr>,
    started: Instant,
    /// False for a slot that was offered to a waiter who had already given up: dropping it
    /// changes nothing (the slot is still being passed on).
    armed: bool,
}

impl Slot {
    fn new(shared: &Arc<Shared>, client: Option<IpAddr>) -> Self {
        Self { shared: Arc::clone(shared), client, started: Instant::now(), armed: true }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let now = Instant::now();
        let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        let spent = now.saturating_duration_since(self.started).as_secs_f64();
        let before = state.usage.get(&self.client).map_or(0.0, |u| u.now(now));
        if state.usage.len() >= MAX_CLIENTS && !state.usage.contains_key(&self.client) {
            forget_least_recent(&mut state.usage);
        }
        state.usage.insert(self.client, Usage { seconds: before + spent, at: now });
        // Hand the slot to the next waiter still waiting; else free it.
        while let Some(next) = state.waiting.pop() {
            match next.wake.send(Slot::new(&self.shared, None)) {
                Ok(()) => return,
                Err(mut unwanted) => unwanted.armed = false,
            }
        }
        state.running -= 1;
    }
}

fn forget_least_recent(usage: &mut HashMap<Option<IpAddr>, Usage>) {
    if let Some(oldest) = usage.iter().min_by_key(|(_, u)| u.at).map(|(k, _)| *k) {
        usage.remove(&oldest);
    }
}

impl PlanningPool {
    /// A pool running at most `threads` computations at once (at least one).
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (sender, jobs) = std::sync::mpsc::channel();
        start_threads(threads, jobs);
        Self { shared: Arc::new(Shared { threads, state: Mutex::default(), jobs: Mutex::new(sender) }) }
    }

    /// One thread per core.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    pub fn threads(&self) -> usize {
        self.shared.threads
    }

    /// Computations running now.
    pub fn busy(&self) -> usize {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner).running
    }

    /// Runs `work` for `client` when a slot is free; gives up with `TimedOut` if none comes
    /// to it before `deadline`. `work` must check the same deadline in its long loops.
    pub async fn run<T, E>(
        &self,
        client: Option<IpAddr>,
        deadline: Deadline,
        work: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, PlanningError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.run_timed(client, deadline, work, &|_, _| ()).await
    }

    /// `run`, telling `spent` how long the computation waited for its slot and how long it
    /// then computed.
    pub async fn run_timed<T, E>(
        &self,
        client: Option<IpAddr>,
        deadline: Deadline,
        work: impl FnOnce() -> Result<T, E> + Send + 'static,
        spent: &(dyn Fn(Duration, Duration) + Sync),
    ) -> Result<Result<T, E>, PlanningError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let arrived = Instant::now();
        let slot = self.take(client, deadline).await;
        let waited = arrived.elapsed();
        let mut slot = slot.inspect_err(|_| spent(waited, Duration::ZERO))?;
        slot.client = client;
        slot.started = Instant::now();
        deadline.check()?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let started = Instant::now();
            let answer = work();
            let computed = started.elapsed();
            // Released (and the client charged) before the answer goes back, so that the next
            // question of the same request sees the pool as this one left it.
            drop(slot);
            let _ = done.send((answer, computed));
        });
        let sent = self.shared.jobs.lock().unwrap_or_else(PoisonError::into_inner).send(job);
        sent.map_err(|_| PlanningError::Failed("the planning threads are gone".into()))?;
        let (answer, computed) =
            result.await.map_err(|_| PlanningError::Failed("a planning computation panicked".into()))?;
        spent(waited, computed);
        Ok(answer)
    }

    async fn take(&self, client: Option<IpAddr>, deadline: Deadline) -> Result<Slot, PlanningError> {
        let handed = {
            let mut state = self.shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.running < self.shared.threads && state.waiting.is_empty() {
                state.running += 1;
                return Ok(Slot::new(&self.shared, client));
            }
            let (wake, handed) = oneshot::channel();
            let usage = state.usage.get(&client).map_or(0.0, |u| u.now(Instant::now()));
            state.arrivals += 1;
            let arrival = state.arrivals;
            state.waiting.push(Waiter { usage, arrival, wake });
            handed
        };
        let handed = match deadline.remaining() {
            Some(left) => tokio::time::timeout(left, handed).await.map_err(|_| PlanningError::TimedOut)?,
            None => handed.await,
        };
        handed.map_err(|_| PlanningError::Failed("the planning pool dropped a waiter".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([203, 0, 113, n]))
    }

    /// Holds the pool's one slot until `release` is sent.
    fn hold(pool: &PlanningPool, who: Option<IpAddr>) -> (tokio::task::JoinHandle<()>, std::sync::mpsc::Sender<()>) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let pool = pool.clone();
        let task = tokio::spawn(async move {
            let _ = pool.run(who, Deadline::none(), move || held.recv().map_err(|_| ())).await;
        });
        (task, release)
    }

    async fn until_busy(pool: &PlanningPool, n: usize) {
        while pool.busy() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_queues_until_the_deadline() {
        let pool = PlanningPool::new(1);
        let (task, release) = hold(&pool, client(1));
        until_busy(&pool, 1).await;
        let refused = pool.run(client(2), Deadline::after(Duration::from_millis(50)), || Ok::<_, ()>(1)).await;
        assert_eq!(refused, Err(PlanningError::TimedOut));
        release.send(()).unwrap();
        task.await.unwrap();
        assert_eq!(pool.run(client(2), Deadline::after(Duration::from_secs(5)), || Ok::<_, ()>(2)).await, Ok(Ok(2)));
        assert_eq!(pool.busy(), 0, "the timed-out waiter did not keep a slot");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_freed_slot_goes_to_the_client_that_used_the_least() {
        let pool = PlanningPool::new(1);
        // The heavy client spends a while planning first.
        let heavy = client(1);
        pool.run(heavy, Deadline::none(), || {
            std::thread::sleep(Duration::from_millis(50));
            Ok::<_, ()>(())
        })
        .await
        .unwrap()
        .unwrap();
        let (task, release) = hold(&pool, client(9));
        until_busy(&pool, 1).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for who in [heavy, client(2)] {
            let (pool, order) = (pool.clone(), Arc::clone(&order));
            waiting.push(tokio::spawn(async move {
                pool.run(who, Deadline::none(), move || {
                    order.lock().unwrap().push(who);
                    Ok::<_, ()>(())
                })
                .await
            }));
            // The heavy client arrives first.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        release.send(()).unwrap();
        task.await.unwrap();
        for w in waiting {
            w.await.unwrap().unwrap().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![client(2), heavy]);
        assert_eq!(pool.busy(), 0);
    }
}

/// Planning time of one request, summed over its questions, in microseconds.
#[derive(Debug, Default)]
pub struct PlanningTime {
    waited: std::sync::atomic::AtomicU64,
    computed: std::sync::atomic::AtomicU64,
}

impl PlanningTime {
    pub fn add(&self, waited: std::time::Duration, computed: std::time::Duration) {
        let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.waited.fetch_add(micros(waited), std::sync::atomic::Ordering::Relaxed);
        self.computed.fetch_add(micros(computed), std::sync::atomic::Ordering::Relaxed);
    }

    pub fn totals(&self) -> (std::time::Duration, std::time::Duration) {
        let read = |a: &std::sync::atomic::AtomicU64| {
            std::time::Duration::from_micros(a.load(std::sync::atomic::Ordering::Relaxed))
        };
        (read(&self.waited), read(&self.computed))
    }
}
