//! The built-in map page: `GET /` and its own scripts from the `web` folder, Leaflet from that
//! folder's `node_modules` (installed with `npm ci --prefix web`, never copied into the
//! repository), and `GET /map-config.json` telling the page which base map to draw, if any.

use actix_files::{Files, NamedFile};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Coordinate system of the configured tile layer: the page asks the API for coordinates in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum TileCrs {
    #[default]
    Wgs84,
    Gcj02,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapSettings {
    /// The page's folder; `None` uses `web` in the working directory, else the source tree's.
    #[serde(skip)]
    pub web_dir: Option<PathBuf>,
    /// A Leaflet tile URL template (`https://.../{z}/{x}/{y}.png`); none draws no base map, so
    /// the page works offline.
    pub tile_url: Option<String>,
    pub tile_attribution: Option<String>,
    pub tile_crs: TileCrs,
}

impl MapSettings {
    fn folder(&self) -> PathBuf {
        if let Some(dir) = &self.web_dir {
            return dir.clone();
        }
        let here = PathBuf::from("web");
        if here.join("index.html").is_file() {
            return here;
        }
        // `cargo run` from anywhere in a clone still finds the page.
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
    }
}

/// Registers the page's routes on an app.
pub fn configure(settings: &MapSettings) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let folder = settings.folder();
    let config = web::Data::new(settings.clone());
    let index = folder.join("index.html");
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(config)
            .route("/map-config.json", web::get().to(map_config))
            .route("/", web::get().to(move || page(index.clone())))
            .service(Files::new("/static", folder.join("static")))
            .service(Files::new("/vendor/leaflet", folder.join("node_modules/leaflet/dist")));
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
