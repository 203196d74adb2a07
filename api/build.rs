//! Builds the web pages into the binary: the map page and GraphiQL from `web/`, and the
//! browser libraries they load (Leaflet and its VectorGrid plugin, React, GraphiQL) from the npm packages that
//! `web/package-lock.json` pins, installed here with `npm ci` when missing or stale. The server
//! then serves all of it itself: no CDN, nothing to install beside the binary, and it works
//! offline. Without npm the build still succeeds, with a warning, and the pages say what is
//! missing.

use std::fmt::Write as _;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm files the pages load, by the URL path they are served at.
const VENDOR: &[(&str, &str)] = &[
    ("/vendor/leaflet/leaflet.js", "leaflet/dist/leaflet.js"),
    ("/vendor/leaflet/leaflet.css", "leaflet/dist/leaflet.css"),
    ("/vendor/leaflet/images/layers.png", "leaflet/dist/images/layers.png"),
    ("/vendor/leaflet/images/layers-2x.png", "leaflet/dist/images/layers-2x.png"),
    ("/vendor/leaflet/images/marker-icon.png", "leaflet/dist/images/marker-icon.png"),
    ("/vendor/leaflet/images/marker-icon-2x.png", "leaflet/dist/images/marker-icon-2x.png"),
    ("/vendor/leaflet/images/marker-shadow.png", "leaflet/dist/images/marker-shadow.png"),
    ("/vendor/leaflet.vectorgrid/vectorgrid.js", "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js"),
    ("/vendor/react/react.production.min.js", "react/umd/react.production.min.js"),
    ("/vendor/react-dom/react-dom.production.min.js", "react-dom/umd/react-dom.production.min.js"),
    ("/vendor/graphiql/graphiql.min.js", "graphiql/graphiql.min.js"),
    ("/vendor/graphiql/graphiql.min.css", "graphiql/graphiql.min.css"),
];

/// Written into node_modules after an install: the hash of the lock file it installed.
const STAMP: &str = "node_modules/.service-circle-installed";

type BuildResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BuildResult<()> {
    // Read when the script runs, not baked in when it is compiled: a build script compiled for
    // one checkout may be run for another that shares the target directory.
    let web = Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).join("../web");
    for watched in ["package-lock.json", "index.html", "graphiql.html", "static", STAMP] {
        println!("cargo::rerun-if-changed={}", web.join(watched).display());
    }
    let mut assets = Vec::new();
    assets.push(("/".to_owned(), web.join("index.html")));
    assets.push(("/graphql".to_owned(), web.join("graphiql.html")));
    let mut page_files: Vec<PathBuf> =
        fs::read_dir(web.join("static"))?.map(|entry| entry.map(|e| e.path())).collect::<Result<_, _>>()?;
    page_files.sort();
    for file in page_files {
        if let Some(name) = file.file_name().and_then(|n| n.to_str()) {
            assets.push((format!("/static/{name}"), file.clone()));
        }
    }
    let missing = match install(&web) {
        Ok(()) => None,
        Err(why) => {
            println!("cargo::warning=the map and GraphiQL are built without their scripts: {why}");
            Some(why)
        }
    };
    if missing.is_none() {
        for (path, file) in VENDOR {
            assets.push(((*path).to_owned(), web.join("node_modules").join(file)));
        }
    }
    let mut out = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (path, file) in &assets {
        let file = fs::canonicalize(file)?;
        writeln!(
            out,
            "    Asset {{ path: {path:?}, bytes: include_bytes!({file:?}), content_type: {:?}, etag: \"\\\"{}\\\"\" }},",
            content_type(&file),
            fingerprint(&fs::read(&file)?),
        )?;
    }
    out.push_str("];\n");
    writeln!(out, "pub const MISSING_SCRIPTS: Option<&str> = {missing:?};")?;
    fs::write(PathBuf::from(std::env::var("OUT_DIR")?).join("web_assets.rs"), out)?;
    Ok(())
}

/// Runs `npm ci` in `web/` unless the installed packages already match the lock file.
fn install(web: &Path) -> Result<(), String> {
    let lock = fs::read(web.join("package-lock.json")).map_err(|e| format!("web/package-lock.json: {e}"))?;
    let wanted = fingerprint(&lock);
    let stamp = web.join(STAMP);
    let up_to_date = || {
        fs::read_to_string(&stamp).is_ok_and(|s| s == wanted)
            && VENDOR.iter().all(|(_, file)| web.join("node_modules").join(file).is_file())
    };
    if up_to_date() {
        return Ok(());
    }
    // Two builds at once (debug and release) must not both rewrite node_modules.
    let guard = fs::File::create(web.join(".npm-install.lock")).map_err(|e| e.to_string())?;
    guard.lock().map_err(|e| e.to_string())?;
    // The build that held the lock may have installed them meanwhile.
    if up_to_date() {
        return Ok(());
    }
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
        .current_dir(web)
        .output()
        .map_err(|e| format!("npm not found ({e}); install Node.js 20 or later with npm and build again"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(format!("`npm ci` in web/ failed: {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | ")));
    }
    if let Some((_, file)) = VENDOR.iter().find(|(_, file)| !web.join("node_modules").join(file).is_file()) {
        return Err(format!("`npm ci` in web/ did not install {file}"));
    }
    fs::write(&stamp, &wanted).map_err(|e| e.to_string())
}

/// A hash of `bytes` in hex, stable between builds: the assets' ETags and the install stamp.
fn fingerprint(bytes: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}
