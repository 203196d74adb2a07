//! The allocator, and giving freed memory back to the system once a burst of requests is over.
//!
//! Rust's allocations go to mimalloc: under the nearby benchmark glibc's malloc and free took
//! a quarter of the HTTP workers' time. Transparent huge pages are off for it (with them the
//! idle server held 88 MiB instead of 40) and it returns freed pages after 10 ms instead of
//! its default second. Pages with free blocks stay with their thread until it collects, so
//! once requests pause the release thread, each HTTP worker and each planning thread collect
//! their own heaps ([`release_this_thread`]). `bench/hostile.sh`, RSS a minute after the
//! attack: +5.5% of idle; without the collections +16% (+35-48% with the default delay).
//! Returning pages at once (delay 0) also left +2-11%, but `bench/nearby.sh` fell from
//! 6,300-6,900 to 4,300-4,900 req/s (madvise on every freed page). C code
//! (SQLite) still allocates from glibc, which is told to mmap large blocks and keep few arenas,
//! and is trimmed at the same moments.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

static REQUESTS: AtomicU64 = AtomicU64::new(0);
/// How many times memory was released; a thread collects its own heap when this moved.
static RELEASES: AtomicU64 = AtomicU64::new(0);

const QUIET: Duration = Duration::from_secs(2);
const AT_LEAST_EVERY: Duration = Duration::from_secs(20);

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t`, which keeps retired options
/// in their places so that the numbering holds across versions).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// How long mimalloc keeps freed pages before returning them, milliseconds.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Makes mimalloc return freed pages after `PURGE_DELAY_MS`, and glibc give large blocks back when they are
/// freed and share few arenas (with glibc's defaults, after large responses were freed the
/// mmap threshold grew to 32 MB, later large blocks came from the heap and pinned it, and each
/// thread's arena kept its own free pages). Called first thing in `main`, before any thread
/// exists.
pub fn configure_allocator() {
    // An operator's own MIMALLOC_PURGE_DELAY (read by mimalloc as the process starts) is kept.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        #[expect(unsafe_code, reason = "mi_option_set is a C function")]
        // SAFETY: takes plain integers; mimalloc reads its options atomically.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
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

/// Starts the thread that releases memory after each burst, once per process (tests start
/// many servers in one).
pub fn start() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(spawn);
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

/// Collects this thread's heap if memory was released since it last did (mimalloc's pages
/// with free blocks stay with their thread until it collects). One atomic read otherwise.
pub fn release_this_thread() {
    thread_local!(static RELEASED: Cell<u64> = const { Cell::new(0) });
    let releases = RELEASES.load(Ordering::Relaxed);
    if RELEASED.replace(releases) != releases {
        collect();
    }
}

/// On an HTTP worker (the app factory runs once on each): after each burst, the worker
/// collects its own heap.
pub fn start_on_this_worker() {
    thread_local!(static STARTED: Cell<bool> = const { Cell::new(false) });
    if !STARTED.replace(true) {
        actix_web::rt::spawn(async {
            loop {
                actix_web::rt::time::sleep(QUIET).await;
                release_this_thread();
            }
        });
    }
}

/// How long a planning thread waits for work before it checks whether to collect.
pub const IDLE_CHECK: Duration = QUIET;

#[expect(unsafe_code, reason = "mi_collect is a C function")]
fn collect() {
    // SAFETY: takes no pointers; collects the calling thread's heap.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn release() {
    RELEASES.fetch_add(1, Ordering::Relaxed);
    collect();
    trim_glibc();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "malloc_trim is a C function")]
fn trim_glibc() {
    // SAFETY: malloc_trim takes no pointers and glibc serialises it with every other
    // allocator call.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_glibc() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(unsafe_code, reason = "mi_option_get is a C function")]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: takes and returns plain integers.
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        // mimalloc's documented default is a purge delay of 10 ms (1,000 in version 3); no
        // neighbouring option has either default.
        let before = get(MI_OPTION_PURGE_DELAY);
        assert!(before == 10 || before == 1000, "option {MI_OPTION_PURGE_DELAY} is {before}");
        configure_allocator();
        assert_eq!(get(MI_OPTION_PURGE_DELAY), PURGE_DELAY_MS);
    }
}
