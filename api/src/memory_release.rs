//! Gives freed memory back to the system once a burst of requests is over.
//!
//! glibc's allocator keeps what a thread freed in that thread's arena: after an attack of
//! large responses the server stayed 150 MB above idle for as long as it ran. `malloc_trim`
//! walks every arena and returns the free pages. It locks each arena while it walks, so it
//! runs when requests have stopped for a moment, and otherwise every 20 s (which also
//! returns what database connections closed for idleness held). What each thread keeps for
//! itself cannot be trimmed from outside, so the process starts with few such blocks
//! ([`restart_with_allocator_tunables`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static REQUESTS: AtomicU64 = AtomicU64::new(0);

const QUIET: Duration = Duration::from_secs(2);
const AT_LEAST_EVERY: Duration = Duration::from_secs(20);

/// The environment variable glibc reads its allocator settings from, once, as a process starts.
pub const TUNABLES_VARIABLE: &str = "GLIBC_TUNABLES";
/// Each thread keeps at most two freed blocks of each small size for itself (glibc's default
/// is seven). Those per-thread caches are never trimmed, and each cached block holds its page:
/// `DURATION=60 bash bench/hostile.sh` (demo data, 30 MiB idle) left the server 16-22% above
/// idle a minute after the attack with seven, 5-7% with two (and 2% with none, but the
/// legitimate nearby p99 then rose from about 45 ms to 75-95 ms).
pub const TUNABLES: &str = "glibc.malloc.tcache_count=2";

/// Starts this program again with [`TUNABLES`] set, unless the variable is already set (an
/// operator's own choice is kept). glibc reads it only at start-up, so it cannot be set from
/// inside; the second start replaces this process (same pid) before any thread exists. If
/// the program cannot be started again it runs on with glibc's defaults.
pub fn restart_with_allocator_tunables() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os(TUNABLES_VARIABLE).is_some() {
            return;
        }
        let Ok(program) = std::env::current_exe() else {
            return;
        };
        let mut arguments = std::env::args_os();
        let mut command = std::process::Command::new(program);
        if let Some(name) = arguments.next() {
            command.arg0(name);
        }
        // `exec` returns only when it failed.
        let _failed = command.args(arguments).env(TUNABLES_VARIABLE, TUNABLES).exec();
    }
}

/// Makes glibc give large blocks back when they are freed, and share few arenas: with its
/// defaults, after large responses were freed the mmap threshold grew to 32 MB (later large
/// blocks came from the heap and pinned it), and each thread's arena kept its own free pages.
/// Called first thing in `main`, before any thread exists.
pub fn configure_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[expect(unsafe_code, reason = "mallopt is a C function")]
    // SAFETY: mallopt takes plain integers; called before other threads allocate.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Counts a request (called as each one arrives).
pub fn note_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// How many requests have arrived since the process started.
pub fn requests_seen() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

/// Starts the thread that trims after each burst, once per process (tests start many
/// servers in one). Does nothing where the allocator has no such call.
pub fn start() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        STARTED.call_once(spawn);
    }
}

fn spawn() {
    let spawned = std::thread::Builder::new().name("memory-release".into()).spawn(|| {
        let mut seen = REQUESTS.load(Ordering::Relaxed);
        let mut busy_since_trim = false;
        let mut last_trim = Instant::now();
        loop {
            std::thread::sleep(QUIET);
            let now = REQUESTS.load(Ordering::Relaxed);
            let quiet = now == seen;
            busy_since_trim |= !quiet;
            seen = now;
            if (busy_since_trim && quiet) || last_trim.elapsed() >= AT_LEAST_EVERY {
                release();
                busy_since_trim = !quiet;
                last_trim = Instant::now();
            }
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the memory release thread");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "malloc_trim is a C function")]
fn release() {
    // SAFETY: malloc_trim takes no pointers and glibc serialises it with every other
    // allocator call.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() {}
