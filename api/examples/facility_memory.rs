//! What the in-memory facilities and residential areas cost: resident memory and glibc's live
//! heap after a process loads every facility of a database (as a server does on start), after
//! trimming, then every residential area, and with a second copy of the facilities (the size
//! of the facilities themselves).
//!
//!     cargo run --release -p api --example facility_memory -- 'sqlite://FILE?mode=rwc'
#![allow(clippy::unwrap_used, unsafe_code)]
fn rss_mib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines().find(|l| l.starts_with("VmRSS")).unwrap().split_whitespace().nth(1).unwrap().parse::<u64>().unwrap()
        / 1024
}
fn live_mib() -> u64 {
    let m = unsafe { libc::mallinfo2() };
    ((m.uordblks + m.hblkhd) >> 20) as u64
}
#[tokio::main]
async fn main() {
    api::memory_release::configure_allocator();
    let url = std::env::args().nth(1).unwrap();
    let store = api::store::Store::connect(&url, 4).await.unwrap();
    println!("connected: rss {} MiB, live {} MiB", rss_mib(), live_mib());
    let started = std::time::Instant::now();
    store.sync_facilities().await.unwrap();
    println!("loaded in {:.1} s: rss {} MiB, live {} MiB", started.elapsed().as_secs_f64(), rss_mib(), live_mib());
    unsafe { libc::malloc_trim(0) };
    println!("trimmed: rss {} MiB, live {} MiB", rss_mib(), live_mib());
    let started = std::time::Instant::now();
    let areas = store.residential_areas().await.unwrap();
    println!("areas loaded in {:.1} s", started.elapsed().as_secs_f64());
    unsafe { libc::malloc_trim(0) };
    println!("and {} residential areas, trimmed: rss {} MiB, live {} MiB", areas.len(), rss_mib(), live_mib());
    drop(areas);
    let all = store.all_facilities().await.unwrap();
    println!("a second copy: {} facilities, rss {} MiB, live {} MiB", all.len(), rss_mib(), live_mib());
}
