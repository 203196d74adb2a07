//! Facilities as one GeoJSON FeatureCollection, for map layers and exports. Each feature's
//! properties are the `CreateFacilityInput` fields, so an export imports back as it is; the
//! facility id is the feature's `id` (which imports ignore: they create).

use super::facility::FacilityFilter;
use super::geojson::{self, GeoJson};
use super::geometry::Crs;
use super::{MAX_COLLECTION_FACILITIES, cost, store, too_many};
use crate::domain::details::FacilityDetails;
use crate::domain::facility::Facility;
use crate::error::ApiResult;
use async_graphql::{Context, Object};
use serde_json::{Value as Json, json};

/// The properties of a facility feature, in order (the CSV columns of an export).
pub const FACILITY_PROPERTIES: [&str; 11] = [
    "kind",
    "name",
    "address",
    "communityCode",
    "openingHours",
    "phone",
    "capacity",
    "services",
    "canteen",
    "elderCare",
    "restStation",
];

/// A facility as a Point feature in `crs`.
pub fn facility_feature(f: &Facility, crs: crate::geo::Crs) -> Json {
    let d = &f.draft;
    let mut properties = json!({
        "kind": d.kind,
        "name": d.name,
        "address": d.address,
        "communityCode": d.community_code,
        "openingHours": d.opening_hours,
        "phone": d.phone,
        "capacity": d.capacity,
        "services": d.services,
    });
    let (key, details) = match d.details.as_deref() {
        Some(FacilityDetails::Canteen(c)) => ("canteen", serde_json::to_value(c)),
        Some(FacilityDetails::ElderCare(e)) => ("elderCare", serde_json::to_value(e)),
        Some(FacilityDetails::RestStation(r)) => ("restStation", serde_json::to_value(r)),
        None => ("canteen", Ok(Json::Null)),
    };
    if let Ok(details) = details
        && !details.is_null()
    {
        properties[key] = details;
    }
    let at = d.location().from_wgs84(crs);
    let point = json!({ "type": "Point", "coordinates": [at.lon, at.lat] });
    let mut feature = geojson::feature(point, properties);
    feature["id"] = json!(f.id.encode());
    feature
}

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// Every facility passing `filter`, in id order, as a GeoJSON FeatureCollection of Points
    /// in `crs`. Properties are named like `CreateFacilityInput`, so the collection can be
    /// given to `importFacilities` (or `service-circle import`) as it is.
    #[graphql(complexity = "cost::COLLECTION + child_complexity")]
    async fn facility_features(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which facilities to export; default: all (at most 50,000 may match).")] filter: Option<
            FacilityFilter,
        >,
        #[graphql(
            default_with = "Some(Crs::default())",
            desc = "The coordinate system of the points; default WGS84, as RFC 7946 expects."
        )]
        crs: Option<Crs>,
    ) -> ApiResult<GeoJson> {
        let crs = crs.unwrap_or_default();
        let filter = FacilityFilter::parse(ctx, filter).await?;
        let facilities = store(ctx)?.facilities_matching(&filter, MAX_COLLECTION_FACILITIES).await?;
        let facilities = facilities.map_err(too_many)?;
        Ok(geojson::feature_collection(facilities.iter().map(|f| facility_feature(f, crs.into())).collect()))
    }
}
