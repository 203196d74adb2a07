//! What the in-memory facilities cost: resident memory and glibc's live heap after a process
//! loads every facility of a database (as a server does on start), after trimming, and with a
//! second copy of them all (the size of the facilities themselves).
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
    store.sync_facilities().await.unwrap();
    println!("loaded: rss {} MiB, live {} MiB", rss_mib(), live_mib());
    unsafe { libc::malloc_trim(0) };
    println!("trimmed: rss {} MiB, live {} MiB", rss_mib(), live_mib());
    let all = store.all_facilities().await.unwrap();
    println!("a second copy: {} facilities, rss {} MiB, live {} MiB", all.len(), rss_mib(), live_mib());
}
