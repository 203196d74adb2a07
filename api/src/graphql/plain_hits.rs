//! Search hits (`nearbyFacilities`, `reachableFacilities`) answered straight from their data.
//! Nearby hits are the service's most frequent answer (maps and apps ask on every pan), and
//! async-graphql builds each of their fields with a context, a boxed future and a lookup by
//! name: on the nearby benchmark the 20 hits took over a quarter of the server's CPU. When the
//! hits' selection asks only for plain data (the fields listed below, without arguments,
//! directives or fragments; `@skip` and `@include` are applied before execution) the value is
//! built directly; any other selection is resolved by async-graphql as before. A test compares
//! both ways on the same hits.
use super::facility::{Facility, FacilityHit};
use super::geometry::{Crs, Point};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, ID, InputType, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
};
use std::borrow::Cow;

/// A list of hits, typed exactly as `[FacilityHit!]!`.
pub struct Hits(pub Vec<FacilityHit>);

impl OutputType for Hits {
    fn type_name() -> Cow<'static, str> {
        <Vec<FacilityHit> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<FacilityHit> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<FacilityHit> as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        match plan::<HitField>(&field.node.selection_set.node) {
            Some(plan) => {
                Ok(Value::List(self.0.iter().map(|hit| object(&plan, |part| hit_value(hit, part))).collect()))
            }
            None => OutputType::resolve(&self.0, ctx, field).await,
        }
    }
}

/// What one selected field answers, and under which key.
type Plan<P> = Vec<(Name, P)>;

/// A field of a type that can be answered from plain data.
trait Part: Sized {
    fn named(name: &str, selection: &SelectionSet) -> Option<Self>;
}

/// The plan of a selection, if every item is a plain field (each response key once, so no
/// selections need merging). A selection `@skip` emptied is left to the resolvers, which answer
/// it with null.
fn plan<P: Part>(selection: &SelectionSet) -> Option<Plan<P>> {
    if selection.items.is_empty() {
        return None;
    }
    let mut plan: Plan<P> = Vec::with_capacity(selection.items.len());
    for item in &selection.items {
        let Selection::Field(field) = &item.node else { return None };
        let field = &field.node;
        if !field.arguments.is_empty() || !field.directives.is_empty() {
            return None;
        }
        let key = field.response_key().node.clone();
        if plan.iter().any(|(k, _)| *k == key) {
            return None;
        }
        plan.push((key, P::named(field.name.node.as_str(), &field.selection_set.node)?));
    }
    Some(plan)
}

fn object<P>(plan: &Plan<P>, value: impl Fn(&P) -> Value) -> Value {
    Value::Object(plan.iter().map(|(key, part)| (key.clone(), value(part))).collect::<IndexMap<_, _>>())
}

enum HitField {
    Typename,
    DistanceMeters,
    TravelMinutes,
    Model,
    Facility(Plan<FacilityField>),
}

impl Part for HitField {
    fn named(name: &str, selection: &SelectionSet) -> Option<Self> {
        Some(match name {
            "__typename" => Self::Typename,
            "distanceMeters" => Self::DistanceMeters,
            "travelMinutes" => Self::TravelMinutes,
            "model" => Self::Model,
            "facility" => Self::Facility(plan(selection)?),
            _ => return None,
        })
    }
}

fn hit_value(hit: &FacilityHit, part: &HitField) -> Value {
    match part {
        HitField::Typename => Value::String(<FacilityHit as OutputType>::type_name().into_owned()),
        HitField::DistanceMeters => ScalarType::to_value(&hit.distance_meters),
        HitField::TravelMinutes => ScalarType::to_value(&hit.travel_minutes),
        HitField::Model => InputType::to_value(&hit.model),
        HitField::Facility(plan) => object(plan, |part| facility_value(&hit.facility, part)),
    }
}

enum FacilityField {
    Typename,
    Id,
    Category,
    Kind,
    Name,
    Address,
    CommunityCode,
    OpeningHours,
    Phone,
    Capacity,
    Services,
    Version,
    /// `location` without `crs`: WGS-84.
    Location(Plan<PointField>),
}

impl Part for FacilityField {
    fn named(name: &str, selection: &SelectionSet) -> Option<Self> {
        Some(match name {
            "__typename" => Self::Typename,
            "id" => Self::Id,
            "category" => Self::Category,
            "kind" => Self::Kind,
            "name" => Self::Name,
            "address" => Self::Address,
            "communityCode" => Self::CommunityCode,
            "openingHours" => Self::OpeningHours,
            "phone" => Self::Phone,
            "capacity" => Self::Capacity,
            "services" => Self::Services,
            "version" => Self::Version,
            "location" => Self::Location(plan(selection)?),
            _ => return None,
        })
    }
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

fn facility_value(facility: &Facility, part: &FacilityField) -> Value {
    let f = &facility.0;
    match part {
        FacilityField::Typename => Value::String(<Facility as OutputType>::type_name().into_owned()),
        FacilityField::Id => ScalarType::to_value(&ID(f.id.encode())),
        FacilityField::Category => InputType::to_value(&f.draft.kind.category()),
        FacilityField::Kind => InputType::to_value(&f.draft.kind),
        FacilityField::Name => Value::String(f.draft.name.clone()),
        FacilityField::Address => text(f.draft.address.as_deref()),
        FacilityField::CommunityCode => text(f.draft.community_code.as_deref()),
        FacilityField::OpeningHours => text(f.draft.opening_hours.as_deref()),
        FacilityField::Phone => text(f.draft.phone.as_deref()),
        FacilityField::Capacity => f.draft.capacity.map_or(Value::Null, |c| ScalarType::to_value(&c)),
        FacilityField::Services => Value::List(f.draft.services.iter().map(|s| Value::String(s.clone())).collect()),
        FacilityField::Version => ScalarType::to_value(&f.version),
        FacilityField::Location(plan) => {
            let point = Point::from_wgs84(f.draft.location(), Crs::default());
            object(plan, |part| point_value(point, part))
        }
    }
}

enum PointField {
    Typename,
    Lon,
    Lat,
}

impl Part for PointField {
    fn named(name: &str, _: &SelectionSet) -> Option<Self> {
        Some(match name {
            "__typename" => Self::Typename,
            "lon" => Self::Lon,
            "lat" => Self::Lat,
            _ => return None,
        })
    }
}

fn point_value(point: Point, part: &PointField) -> Value {
    match part {
        PointField::Typename => Value::String(<Point as OutputType>::type_name().into_owned()),
        PointField::Lon => ScalarType::to_value(&point.lon),
        PointField::Lat => ScalarType::to_value(&point.lat),
    }
}
