//! Vector tiles over HTTP: `GET /tiles/{layer}.json` (TileJSON 3.0) and
//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt` (Mapbox Vector Tile 2.1). Filters come as query
//! parameters, the same on both (TileJSON's tile URL carries them). A tile's `ETag` is a hash
//! of its bytes, so it changes exactly when a facility it draws changes, and is the same from
//! every instance behind a load balancer; `If-None-Match` gets 304. Gzip only when accepted.

use crate::app::Services;
use crate::app::tiles::{self, TileLayer};
use crate::domain::facility::{FacilityCategory, FacilityFilter, FacilityKind};
use crate::domain::hours::{OpenMoment, TimeZone};
use crate::domain::travel::{DEFAULT_MINUTES, DistanceModel, NetworkSettings, Travel, TravelProfile};
use crate::domain::validate;
use crate::error::ApiError;
use crate::geo::deadline::Deadline;
use crate::geo::travel::DEFAULT_DETOUR_FACTOR;
use crate::geo::web_tiles::TileId;
use crate::planning_pool::PlanningPool;
use crate::store::Store;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::hash::{Hash, Hasher};
use std::io::Write;

/// What heatmap tiles compute with: the planning pool, the walking-network settings and the
/// computation time limit, as GraphQL questions have them.
#[derive(Clone)]
pub struct TileComputing {
    pub pool: PlanningPool,
    /// Where `openAt` is read.
    pub zone: TimeZone,
    pub network: NetworkSettings,
    pub computation: std::time::Duration,
}

impl TileComputing {
    /// Services for one tile, its computation limit starting now.
    fn services<'a>(&self, store: &'a Store) -> Services<'a> {
        let deadline = Deadline::at(std::time::Instant::now() + self.computation);
        Services::new(store, self.pool.clone(), self.network, deadline)
    }
}

/// How long a client or proxy may use a tile before asking again (with its ETag).
const CACHE_CONTROL: &str = "public, max-age=60";
const MVT: &str = "application/vnd.mapbox-vector-tile";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tiles/{layer}.json", web::get().to(tile_json))
        .route("/tiles/{layer}/{z}/{x}/{y}.mvt", web::get().to(tile));
}

fn no_layer(name: &str) -> HttpResponse {
    not_found(&format!("no tile layer {name:?}; there are facilities, residential-areas, network and travel-time"))
}

/// The layer's filter (its `openAt` applied, in the service's time zone and holiday calendar)
/// and travel: facilities take the facility filter, the heatmap and residential areas the
/// filter and travel, the network nothing.
async fn parameters(
    layer: TileLayer,
    query: &str,
    store: &Store,
    zone: TimeZone,
) -> Result<(FacilityFilter, Travel), HttpResponse> {
    let travel = match layer {
        TileLayer::Facilities => None,
        TileLayer::TravelTime => Some(TravelParameters { minutes_key: "maxMinutes", default_minutes: 30.0 }),
        TileLayer::ResidentialAreas => {
            Some(TravelParameters { minutes_key: "minutes", default_minutes: DEFAULT_MINUTES })
        }
        TileLayer::Network if query.is_empty() => None,
        TileLayer::Network => return Err(bad_request("the network layer takes no parameters")),
    };
    let (Asked { mut filter, open_at }, travel) = parameters_of(query, travel).map_err(|m| bad_request(&m))?;
    if let Some(at) = open_at {
        let calendar = store.current_holiday_calendar().await.map_err(|e| failure(e.into()))?;
        filter.open_at = Some(OpenMoment::checked(at, zone, &calendar).map_err(|e| bad_request(&e.0))?);
    }
    Ok((filter, travel))
}

fn not_found(message: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": message, "code": "NOT_FOUND" }))
}

fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message, "code": "BAD_USER_INPUT" }))
}

fn failure(e: ApiError) -> HttpResponse {
    match e {
        ApiError::BadUserInput(m) => bad_request(&m),
        ApiError::Timeout => HttpResponse::ServiceUnavailable()
            .json(json!({ "error": "the tile took longer than the computation limit", "code": "TIMEOUT" })),
        ApiError::Unavailable => {
            HttpResponse::ServiceUnavailable().json(json!({ "error": e.to_string(), "code": "SERVICE_UNAVAILABLE" }))
        }
        e => {
            HttpResponse::InternalServerError().json(json!({ "error": e.to_string(), "code": "INTERNAL_SERVER_ERROR" }))
        }
    }
}

/// A GraphQL enum value by its name.
fn enum_of<T: serde::de::DeserializeOwned>(parameter: &str, value: &str) -> Result<T, String> {
    serde_json::from_value(json!(value)).map_err(|_| format!("{parameter}: unknown value {value:?}"))
}

/// What a tile's query string asks: the facility filter (`categories`, `kinds` and `services`
/// as comma-separated lists, GraphQL enum names for the first two, `communityCodePrefix`, and
/// `openAt`, read but not yet applied: that needs the holiday calendar). Any other parameter
/// is refused, so a misspelt filter does not silently draw everything.
struct Asked {
    filter: FacilityFilter,
    open_at: Option<DateTime<Utc>>,
}

/// The travel parameters a layer takes: the name of its minutes parameter and its default.
#[derive(Clone, Copy)]
struct TravelParameters {
    minutes_key: &'static str,
    default_minutes: f64,
}

/// The filter and, where `travel` allows them, the minutes (`maxMinutes` of the heatmap,
/// `minutes` of coverage), `model` (AUTO, NETWORK, STRAIGHT_LINE) and `profile`
/// (ELDERLY_WALK, WALK).
fn parameters_of(query: &str, travel: Option<TravelParameters>) -> Result<(Asked, Travel), String> {
    let mut filter = FacilityFilter::default();
    let mut open_at = None;
    let mut minutes = travel.map_or(DEFAULT_MINUTES, |t| t.default_minutes);
    let (mut model, mut profile) = (DistanceModel::default(), TravelProfile::default());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let items = || value.split(',').map(str::trim).filter(|v| !v.is_empty());
        match key.as_ref() {
            "categories" => {
                filter.categories =
                    Some(items().map(|v| enum_of("categories", v)).collect::<Result<Vec<FacilityCategory>, _>>()?)
            }
            "kinds" => {
                filter.kinds = Some(items().map(|v| enum_of("kinds", v)).collect::<Result<Vec<FacilityKind>, _>>()?)
            }
            "services" => filter.services = items().map(str::to_owned).collect(),
            "communityCodePrefix" => {
                filter.community_code_prefix = Some(validate::community_code_prefix(&value).map_err(|e| e.0)?)
            }
            "openAt" => {
                let at = DateTime::parse_from_rfc3339(&value)
                    .map_err(|_| format!("openAt: not an RFC 3339 instant (2026-11-30T12:00:00+08:00): {value:?}"))?;
                open_at = Some(at.with_timezone(&Utc));
            }
            key if travel.is_some_and(|t| t.minutes_key == key) => {
                minutes = value.parse().map_err(|_| format!("{key}: not a number: {value:?}"))?;
            }
            "model" if travel.is_some() => {
                model = match value.as_ref() {
                    "AUTO" => DistanceModel::Auto,
                    "NETWORK" => DistanceModel::Network,
                    "STRAIGHT_LINE" => DistanceModel::StraightLine,
                    v => return Err(format!("model: unknown value {v:?}")),
                }
            }
            "profile" if travel.is_some() => {
                profile = match value.as_ref() {
                    "ELDERLY_WALK" => TravelProfile::ElderlyWalk,
                    "WALK" => TravelProfile::Walk,
                    v => return Err(format!("profile: unknown value {v:?}")),
                }
            }
            other => {
                let travel = travel.map_or(String::new(), |t| format!(", {}, model, profile", t.minutes_key));
                return Err(format!(
                    "unknown parameter {other:?}: this layer takes categories, kinds, services, communityCodePrefix, openAt{travel}"
                ));
            }
        }
    }
    let travel = Travel::new(minutes, profile, None, model, DEFAULT_DETOUR_FACTOR).map_err(|e| e.0)?;
    Ok((Asked { filter, open_at }, travel))
}

async fn tile_json(
    request: HttpRequest,
    path: web::Path<String>,
    store: web::Data<Store>,
    computing: web::Data<TileComputing>,
) -> HttpResponse {
    let name = path.trim_end_matches(".json");
    let Some(layer) = TileLayer::from_name(name) else { return no_layer(name) };
    let query = request.query_string();
    let (filter, _) = match parameters(layer, query, &store, computing.zone).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let bounds = match layer {
        TileLayer::Facilities => tiles::facility_bounds(&store, &filter).await,
        TileLayer::Network | TileLayer::TravelTime | TileLayer::ResidentialAreas => Ok(None),
    };
    let bounds = match bounds {
        Ok(b) => b,
        Err(e) => return failure(e),
    };
    let info = request.connection_info();
    let suffix = if query.is_empty() { String::new() } else { format!("?{query}") };
    let url = format!("{}://{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt{suffix}", info.scheme(), info.host(), layer.name());
    let zooms = layer.zooms();
    let fields: serde_json::Map<String, serde_json::Value> =
        layer.fields().iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    let mut doc = json!({
        "tilejson": "3.0.0",
        "name": layer.name(),
        "description": layer.description(),
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [url],
        "minzoom": zooms.start(),
        "maxzoom": zooms.end(),
        "attribution": "service-circle",
        "vector_layers": [{ "id": layer.name(), "description": layer.description(), "fields": fields,
                            "minzoom": zooms.start(), "maxzoom": zooms.end() }],
    });
    if let Some(b) = bounds {
        doc["bounds"] = json!([b.sw.lon, b.sw.lat, b.ne.lon, b.ne.lat]);
        let c = b.center();
        doc["center"] = json!([c.lon, c.lat, (zooms.start() + 4).min(*zooms.end())]);
    }
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-cache")).json(doc)
}

async fn tile(
    request: HttpRequest,
    path: web::Path<(String, u32, u32, String)>,
    store: web::Data<Store>,
    computing: web::Data<TileComputing>,
) -> HttpResponse {
    let (name, z, x, y) = path.into_inner();
    let Some(layer) = TileLayer::from_name(&name) else { return no_layer(&name) };
    let Some(tile) = y.parse().ok().and_then(|y| TileId::new(z, x, y, layer.zooms())) else {
        let zooms = layer.zooms();
        return not_found(&format!(
            "no tile {z}/{x}/{y} in {}: zooms {} to {}, x and y below 2^zoom",
            layer.name(),
            zooms.start(),
            zooms.end()
        ));
    };
    let (filter, travel) = match parameters(layer, request.query_string(), &store, computing.zone).await {
        Ok(p) => p,
        Err(response) => return response,
    };
    let bytes = match layer {
        TileLayer::Facilities => tiles::facility_tile(&store, tile, &filter).await,
        TileLayer::Network => tiles::network_tile(&store, tile).await,
        TileLayer::TravelTime => tiles::travel_time_tile(&computing.services(&store), tile, filter, travel).await,
        TileLayer::ResidentialAreas => {
            tiles::residential_area_tile(&computing.services(&store), tile, filter, travel).await
        }
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return failure(e),
    };
    respond(&request, bytes)
}

/// The tile with its ETag, cache headers and, if the client accepts it, gzip; 304 when the
/// client holds it already, 204 when it is empty.
fn respond(request: &HttpRequest, bytes: Vec<u8>) -> HttpResponse {
    let etag = {
        // std's SipHasher with its fixed keys: the same tile hashes alike in every process.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        bytes.hash(&mut hasher);
        format!("\"{:016x}\"", hasher.finish())
    };
    let held = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == etag);
    let mut response = if held {
        HttpResponse::NotModified()
    } else if bytes.is_empty() {
        HttpResponse::NoContent()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::VARY, "Accept-Encoding"));
    if held || bytes.is_empty() {
        return response.finish();
    }
    response.insert_header((header::CONTENT_TYPE, MVT));
    if accepts_gzip(request) {
        let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::fast());
        if gz.write_all(&bytes).is_ok()
            && let Ok(zipped) = gz.finish()
        {
            return response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))).body(zipped);
        }
    }
    response.body(bytes)
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without q=0.
fn accepts_gzip(request: &HttpRequest) -> bool {
    request.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused =
                parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0") || p.replace(' ', "") == "q=0.0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter_of(query: &str) -> Result<FacilityFilter, String> {
        Ok(parameters_of(query, None)?.0.filter)
    }

    #[test]
    fn filters_read_from_the_query_string() {
        let f = filter_of("categories=CANTEEN,ELDER_CARE&kinds=MEAL_POINT&services=halal&communityCodePrefix=640104")
            .unwrap();
        assert_eq!(f.categories, Some(vec![FacilityCategory::Canteen, FacilityCategory::ElderCare]));
        assert_eq!(f.kinds, Some(vec![FacilityKind::MealPoint]));
        assert_eq!(f.services, ["halal"]);
        assert_eq!(f.community_code_prefix.as_deref(), Some("640104"));
        assert_eq!(filter_of("").unwrap(), FacilityFilter::default());
        assert!(filter_of("kinds=NOPE").unwrap_err().contains("NOPE"));
        assert!(filter_of("kind=MEAL_POINT").unwrap_err().contains("unknown parameter"));
        assert!(filter_of("communityCodePrefix=64x").is_err());
    }
}
