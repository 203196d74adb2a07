//! Bulk imports from GeoJSON FeatureCollections (the CLI turns CSV rows into features too).
//! Each feature is checked on its own with the same rules as the single-row mutations, using
//! the same input types (feature properties carry their camelCase field names); the accepted
//! rows are written in one transaction, the rejected ones come back with their index and
//! reason. Nothing is half-written.

use super::facility::{CreateFacilityInput, UpdateFacilityInput};
use super::geojson::GeoJson;
use super::residents::CreateResidentialAreaInput;
use super::{require, store};
use crate::domain::Invalid;
use crate::domain::facility::{Facility, FacilityDraft, FacilityFields};
use crate::domain::ids::FacilityId;
use crate::domain::residents::ResidentialAreaDraft;
use crate::domain::role::Role;
use crate::error::ApiResult;
use crate::geo::LonLat;
use crate::store::{AreaImport, FacilityImport, Store};
use async_graphql::{Context, InputType, Object, Pos, SimpleObject, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::{HashMap, HashSet};

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

/// Most features one import may hold.
pub const MAX_IMPORT_FEATURES: usize = 200_000;

fn features(collection: &Json) -> Result<&Vec<Json>, Invalid> {
    if collection.get("type").and_then(Json::as_str) != Some("FeatureCollection") {
        return Err(Invalid::new("features must be a GeoJSON FeatureCollection"));
    }
    let features = collection
        .get("features")
        .and_then(Json::as_array)
        .ok_or_else(|| Invalid::new("a FeatureCollection needs a \"features\" list"))?;
    if features.len() > MAX_IMPORT_FEATURES {
        return Err(Invalid::new(format!("at most {MAX_IMPORT_FEATURES} features per import")));
    }
    Ok(features)
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

enum FacilityRow {
    Create(FacilityDraft),
    Update(FacilityId, Box<FacilityFields>),
}

fn facility_row(feature: &Json) -> Result<FacilityRow, String> {
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

/// Imports facilities: features without an `id` property are created, those with one update
/// that facility (only the given properties change).
pub async fn import_facilities(
    store: &Store,
    collection: &Json,
    actor: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> ApiResult<ImportResult> {
    let features = features(collection)?;
    let mut import = FacilityBatches::begin(store, actor).await?;
    import.add(features, progress).await?;
    import.finish().await
}

/// A facility import fed batch by batch (a file streamed by the CLI, or one collection), in
/// one transaction: each feature is checked as it comes, and nothing is written unless
/// `finish` commits.
pub struct FacilityBatches {
    import: FacilityImport,
    /// Facilities updated by an earlier feature.
    seen: HashSet<FacilityId>,
    rejected: Vec<ImportRejection>,
    /// The index of the next feature in the whole import.
    next: usize,
}

impl FacilityBatches {
    pub async fn begin(store: &Store, actor: &str) -> ApiResult<Self> {
        Ok(Self {
            import: store.begin_facility_import(actor).await?,
            seen: HashSet::new(),
            rejected: Vec::new(),
            next: 0,
        })
    }

    pub async fn add(&mut self, features: &[Json], progress: &(dyn Fn(u64) + Sync)) -> ApiResult<()> {
        let mut creates = Vec::new();
        let mut pending_updates = Vec::new();
        for (offset, feature) in features.iter().enumerate() {
            let index = self.next + offset;
            match facility_row(feature) {
                Ok(FacilityRow::Create(draft)) => creates.push(draft),
                Ok(FacilityRow::Update(id, fields)) => pending_updates.push((index, id, fields)),
                Err(reason) => self.rejected.push(ImportRejection { index: index as i32, reason }),
            }
        }
        self.next += features.len();
        let ids: Vec<FacilityId> = pending_updates.iter().map(|(_, id, _)| *id).collect();
        let mut current: HashMap<FacilityId, Facility> =
            self.import.current(&ids).await?.into_iter().map(|f| (f.id, f)).collect();
        let mut updates = Vec::new();
        for (index, id, fields) in pending_updates {
            let reject = |reason: String| ImportRejection { index: index as i32, reason };
            if !self.seen.insert(id) {
                self.rejected.push(reject("this facility is updated by an earlier feature of the same import".into()));
                continue;
            }
            let Some(facility) = current.remove(&id) else {
                self.rejected.push(reject(format!("no facility with id {}", id.encode())));
                continue;
            };
            match fields.apply_to(facility.draft.clone()) {
                Ok(draft) => updates.push((facility, draft)),
                Err(e) => self.rejected.push(reject(e.0)),
            }
        }
        Ok(self.import.write(creates, updates, progress).await?)
    }

    pub async fn finish(self) -> ApiResult<ImportResult> {
        let mut rejected = self.rejected;
        rejected.sort_by_key(|r| r.index);
        let (created, updated) = self.import.commit().await?;
        Ok(ImportResult { created: created as i32, updated: updated as i32, rejected })
    }
}

fn residential_area_row(feature: &Json) -> Result<(ResidentialAreaDraft, Option<String>), String> {
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

/// Imports residential areas (Points, or Polygons whose centroid is used and outline kept).
pub async fn import_residential_areas(
    store: &Store,
    collection: &Json,
    actor: &str,
    progress: &(dyn Fn(u64) + Sync),
) -> ApiResult<ImportResult> {
    let features = features(collection)?;
    let mut import = AreaBatches::begin(store, actor).await?;
    import.add(features, progress).await?;
    import.finish().await
}

/// A residential-area import fed batch by batch, in one transaction (see `FacilityBatches`).
pub struct AreaBatches {
    import: AreaImport,
    rejected: Vec<ImportRejection>,
    next: usize,
}

impl AreaBatches {
    pub async fn begin(store: &Store, actor: &str) -> ApiResult<Self> {
        Ok(Self { import: store.begin_area_import(actor).await?, rejected: Vec::new(), next: 0 })
    }

    pub async fn add(&mut self, features: &[Json], progress: &(dyn Fn(u64) + Sync)) -> ApiResult<()> {
        let mut rows = Vec::new();
        for (offset, feature) in features.iter().enumerate() {
            match residential_area_row(feature) {
                Ok(row) => rows.push(row),
                Err(reason) => self.rejected.push(ImportRejection { index: (self.next + offset) as i32, reason }),
            }
        }
        self.next += features.len();
        Ok(self.import.write(rows, progress).await?)
    }

    pub async fn finish(self) -> ApiResult<ImportResult> {
        let created = self.import.commit().await?;
        Ok(ImportResult { created: created as i32, updated: 0, rejected: self.rejected })
    }
}

/// Either kind of batched import, for a caller that feeds both the same way (the CLI).
pub enum ImportBatches {
    Facilities(Box<FacilityBatches>),
    Areas(AreaBatches),
}

impl ImportBatches {
    pub async fn add(&mut self, features: &[Json], progress: &(dyn Fn(u64) + Sync)) -> ApiResult<()> {
        match self {
            Self::Facilities(import) => import.add(features, progress).await,
            Self::Areas(import) => import.add(features, progress).await,
        }
    }

    pub async fn finish(self) -> ApiResult<ImportResult> {
        match self {
            Self::Facilities(import) => import.finish().await,
            Self::Areas(import) => import.finish().await,
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
        import_facilities(store(ctx)?, &features.0, &actor.name, &|_| {}).await
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
        import_residential_areas(store(ctx)?, &features.0, &actor.name, &|_| {}).await
    }
}
