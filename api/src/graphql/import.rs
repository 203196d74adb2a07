//! The import mutations, and the readers that turn a GeoJSON feature into a row with the same
//! input types (and so the same rules and camelCase names) as the single-row mutations: the
//! CLI's imports use them too. The batching and the transaction are `app::import`'s.

use super::facility::{CreateFacilityInput, UpdateFacilityInput};
use super::geojson::GeoJson;
use super::residents::CreateResidentialAreaInput;
use super::{require, store};
use crate::app::import::{self, FacilityRow, ImportReport};
use crate::domain::facility::FacilityFields;
use crate::domain::ids::FacilityId;
use crate::domain::residents::ResidentialAreaDraft;
use crate::domain::role::Role;
use crate::error::ApiResult;
use crate::geo::LonLat;
use async_graphql::{Context, InputType, Object, Pos, SimpleObject, Value};
use serde_json::{Map, Value as Json, json};

/// What an import did.
#[derive(SimpleObject, Debug, Default, PartialEq)]
pub struct ImportResult {
    /// Features that created a new facility or residential area.
    pub created: i32,
    /// Features that updated an existing facility (named by their `id` property); always 0
    /// for residential areas.
    pub updated: i32,
    /// Features that were not imported, with why.
    pub rejected: Vec<ImportRejection>,
}

/// A feature that was not imported.
#[derive(SimpleObject, Debug, PartialEq)]
pub struct ImportRejection {
    /// Position of the feature in the collection, from 0.
    pub index: i32,
    /// Why the feature was refused, e.g. the rule a property breaks.
    pub reason: String,
}

fn properties(feature: &Json) -> Result<Map<String, Json>, String> {
    if feature.get("type").and_then(Json::as_str) != Some("Feature") {
        return Err("not a GeoJSON Feature".into());
    }
    match feature.get("properties") {
        None | Some(Json::Null) => Ok(Map::new()),
        Some(Json::Object(map)) => Ok(map.clone()),
        Some(_) => Err("properties must be an object".into()),
    }
}

fn position(value: &Json) -> Result<LonLat, String> {
    let lon = value.get(0).and_then(Json::as_f64).ok_or("a position needs two numbers")?;
    let lat = value.get(1).and_then(Json::as_f64).ok_or("a position needs two numbers")?;
    LonLat::new(lon, lat).map_err(|e| e.to_string())
}

fn point_geometry(feature: &Json) -> Result<LonLat, String> {
    let geometry = feature.get("geometry").ok_or("the feature has no geometry")?;
    if geometry.get("type").and_then(Json::as_str) != Some("Point") {
        return Err("the geometry must be a Point".into());
    }
    position(&geometry["coordinates"])
}

/// Reads a GraphQL input object from JSON, with the same checks as the API.
fn parse_input<T: InputType>(object: Map<String, Json>) -> Result<T, String> {
    let value = Value::from_json(Json::Object(object)).map_err(|e| e.to_string())?;
    T::parse(Some(value)).map_err(|e| e.into_server_error(Pos::default()).message)
}

/// Reads a feature as a facility row (an `id` property: an update of that facility).
pub fn facility_row(feature: &Json) -> Result<FacilityRow, String> {
    let mut props = properties(feature)?;
    let location = point_geometry(feature)?;
    let id = props.remove("id");
    props.insert("location".into(), json!({ "lon": location.lon, "lat": location.lat }));
    match id {
        None | Some(Json::Null) => {
            let input: CreateFacilityInput = parse_input(props)?;
            Ok(FacilityRow::Create(input.into_fields().and_then(FacilityFields::create).map_err(|e| e.0)?))
        }
        Some(Json::String(id)) => {
            let id = FacilityId::decode(&id).map_err(|e| e.0)?;
            let input: UpdateFacilityInput = parse_input(props)?;
            Ok(FacilityRow::Update(id, Box::new(input.into_fields().map_err(|e| e.0)?)))
        }
        Some(_) => Err("id must be a string".into()),
    }
}

/// Reads a feature as a residential area (a Point, or a Polygon whose centroid is used and
/// outline kept).
pub fn residential_area_row(feature: &Json) -> Result<(ResidentialAreaDraft, Option<String>), String> {
    use ::geo::{Centroid, LineString, Polygon};
    let mut props = properties(feature)?;
    let geometry = feature.get("geometry").ok_or("the feature has no geometry")?;
    let (location, boundary) = match geometry.get("type").and_then(Json::as_str) {
        Some("Point") => (position(&geometry["coordinates"])?, None),
        Some("Polygon") => {
            let rings = crate::graphql::geojson::read_polygons(geometry).map_err(|e| e.0)?;
            let (west, east) = rings[0][0].iter().fold((f64::MAX, f64::MIN), |(w, e), p| (w.min(p.lon), e.max(p.lon)));
            if east - west > 180.0 {
                return Err("the polygon spans more than 180 degrees of longitude: one across the antimeridian must \
                            be split in two (RFC 7946 3.1.9)"
                    .into());
            }
            let ring = |r: &Vec<LonLat>| LineString::from(r.iter().map(|p| (p.lon, p.lat)).collect::<Vec<_>>());
            let polygon = Polygon::new(ring(&rings[0][0]), rings[0][1..].iter().map(ring).collect());
            let c = polygon.centroid().ok_or("the polygon has no area")?;
            // Stored as read (positions of two numbers each), never as sent.
            let outline: Vec<Vec<[f64; 2]>> =
                rings[0].iter().map(|r| r.iter().map(|p| [p.lon, p.lat]).collect()).collect();
            let stored = json!({ "type": "Polygon", "coordinates": outline }).to_string();
            (LonLat::new(c.x(), c.y()).map_err(|e| e.to_string())?, Some(stored))
        }
        _ => return Err("the geometry must be a Point or a Polygon".into()),
    };
    props.remove("id");
    props.insert("location".into(), json!({ "lon": location.lon, "lat": location.lat }));
    let input: CreateResidentialAreaInput = parse_input(props)?;
    let draft = ResidentialAreaDraft::new(
        &input.name,
        location,
        input.population,
        input.elderly_population,
        input.community_code.as_deref(),
    )
    .map_err(|e| e.0)?;
    Ok((draft, boundary))
}

impl From<ImportReport> for ImportResult {
    fn from(report: ImportReport) -> Self {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            created: count(report.created),
            updated: count(report.updated),
            rejected: report
                .rejected
                .into_iter()
                .map(|r| ImportRejection { index: count(r.index), reason: r.reason })
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Creates (no `id` property) or updates (an `id` property) facilities from a
    /// FeatureCollection of Points whose properties are `CreateFacilityInput` fields. Accepted
    /// features are written in one transaction. Needs the admin role.
    async fn import_facilities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A FeatureCollection of Point features (WGS-84), at most 200,000; properties are `CreateFacilityInput` fields, plus `id` to update that facility."
        )]
        features: GeoJson,
    ) -> ApiResult<ImportResult> {
        let actor = require(ctx, Role::Admin).await?;
        Ok(import::import_facilities(store(ctx)?, facility_row, &features.0, &actor.name).await?.into())
    }

    /// Creates residential areas from a FeatureCollection of Points or Polygons whose
    /// properties are `CreateResidentialAreaInput` fields. Needs the admin role.
    async fn import_residential_areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A FeatureCollection of Point or Polygon features (WGS-84), at most 200,000; properties are `CreateResidentialAreaInput` fields, a Polygon's centroid is the location."
        )]
        features: GeoJson,
    ) -> ApiResult<ImportResult> {
        let actor = require(ctx, Role::Admin).await?;
        Ok(import::import_residential_areas(store(ctx)?, residential_area_row, &features.0, &actor.name).await?.into())
    }
}
