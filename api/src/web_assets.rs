//! The map page, GraphiQL and the browser libraries they load, built into the binary by
//! `api/build.rs` (the libraries from npm packages pinned in `web/package-lock.json`), so the
//! server needs no CDN and no files beside it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

pub struct Asset {
    pub path: &'static str,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// A hash of the bytes, quoted: a browser revalidates instead of downloading again.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The asset served at `path` (`/`, `/graphql` for GraphiQL, `/static/...`, `/vendor/...`).
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// Why the browser libraries are missing, when the build had no npm.
pub fn missing_scripts() -> Option<&'static str> {
    MISSING_SCRIPTS
}

/// The asset, or 304 when the browser holds this version. Libraries (pinned by the lock file)
/// may be cached for an hour; pages are revalidated on every load so a new build shows at once.
pub fn respond(request: &HttpRequest, asset: &Asset) -> HttpResponse {
    let cache = if asset.path.starts_with("/vendor/") { "public, max-age=3600" } else { "no-cache" };
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag || tag.trim() == "*"));
    let mut response = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header((header::ETAG, asset.etag)).insert_header((header::CACHE_CONTROL, cache));
    if fresh {
        return response.finish();
    }
    response.content_type(asset.content_type).body(asset.bytes)
}
