//! The built-in map page: `GET /` with its own scripts and styles under `/static`, the browser
//! libraries under `/vendor` (all built into the binary, see `web_assets`), and
//! `GET /map-config.json` telling the page which base map to draw, if any. `--web-dir` serves the
//! page's own files from a folder instead, for work on the page without rebuilding.

use crate::web_assets;
use actix_files::{Files, NamedFile};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use serde::Serialize;
use std::path::PathBuf;

/// Coordinate system of the configured tile layer: the page asks the API for coordinates in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum TileCrs {
    #[default]
    Wgs84,
    Gcj02,
}

/// The map page's settings (declared as the server's flags); the page reads all but the
/// folder from `/map-config.json`.
#[derive(Clone, Debug, Serialize, clap::Args)]
#[serde(rename_all = "camelCase")]
pub struct MapSettings {
    /// A folder whose `index.html` and `static/` replace the built-in map page (to work on the
    /// page without rebuilding).
    #[serde(skip)]
    #[arg(long, env = "WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Base-map tile URL template for the map page (`https://host/{z}/{x}/{y}.png`); without
    /// one the page draws no base map and works offline.
    #[arg(long, env = "TILE_URL")]
    pub tile_url: Option<String>,
    /// Attribution shown for the tiles.
    #[arg(long, env = "TILE_ATTRIBUTION")]
    pub tile_attribution: Option<String>,
    /// Coordinate system of the tiles: GCJ02 for AMap and Tencent tiles.
    #[arg(long, env = "TILE_CRS", value_enum, default_value = "wgs84")]
    pub tile_crs: TileCrs,
}

impl Default for MapSettings {
    fn default() -> Self {
        crate::config::declared_defaults()
    }
}

/// Registers the page's routes on an app.
pub fn configure(settings: &MapSettings) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let config = web::Data::new(settings.clone());
    let folder = settings.web_dir.clone();
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(config)
            .route("/map-config.json", web::get().to(map_config))
            .route("/vendor/{file:.*}", get_or_head().to(built_in));
        match folder {
            Some(folder) => {
                let index = folder.join("index.html");
                cfg.route("/", web::get().to(move || page(index.clone())))
                    .service(Files::new("/static", folder.join("static")));
            }
            None => {
                cfg.route("/", get_or_head().to(built_in)).route("/static/{file:.*}", get_or_head().to(built_in));
            }
        }
    }
}

fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A file built into the binary, by its URL path.
async fn built_in(request: HttpRequest) -> HttpResponse {
    match web_assets::find(request.path()) {
        Some(asset) => web_assets::respond(&request, asset),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn map_config(settings: web::Data<MapSettings>) -> HttpResponse {
    HttpResponse::Ok().json(settings.get_ref())
}

async fn page(index: PathBuf) -> actix_web::Result<NamedFile> {
    NamedFile::open(&index).map_err(|error| {
        tracing::warn!(path = %index.display(), %error, "map page not found");
        actix_web::error::ErrorNotFound("the map page is not installed (see README: web/)")
    })
}
