//! Logging: `RUST_LOG` filters (default `info`), to standard error so that standard output
//! stays for what commands print (the listening address, a new token). `LOG_FORMAT=json`
//! writes one JSON object per line (with the request id of the span), for log collectors.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests start many apps) is harmless, so its error is ignored.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
