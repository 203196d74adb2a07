//! Residential areas: the demand side of coverage.

use super::geometry::{Crs, Point, PointInput};
use super::{reading, require, store};
use crate::domain::ids::ResidentialAreaId;
use crate::domain::residents::{self as domain, ResidentialAreaDraft};
use crate::domain::role::Role;
use crate::error::ApiResult;
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

/// A residential area (小区 or village) with its population.
pub struct ResidentialArea(pub domain::ResidentialArea);

/// A residential area (小区 or village): the demand side of coverage, with its residents and
/// elderly residents.
#[Object]
impl ResidentialArea {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.encode())
    }
    /// Name of the 小区 or village.
    async fn name(&self) -> &str {
        &self.0.draft.name
    }
    /// Where the area is (its centroid for polygons), in the requested coordinate system.
    async fn location(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the point; default WGS84.")]
        crs: Option<Crs>,
    ) -> Point {
        Point::from_wgs84(self.0.draft.location, crs.unwrap_or_default())
    }
    /// Residents.
    async fn population(&self) -> i32 {
        self.0.draft.population
    }
    /// Residents aged 60 or more.
    async fn elderly_population(&self) -> i32 {
        self.0.draft.elderly_population
    }
    /// 12-digit statistical division code of the community.
    async fn community_code(&self) -> Option<&str> {
        self.0.draft.community_code.as_deref()
    }
    /// When the area was added (by `createResidentialArea` or an import).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the area was last written; residential areas are not edited yet, so it equals
    /// `createdAt`.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Name of the token that created it. Needs the admin role.
    async fn created_by(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        require(ctx, Role::Admin).await?;
        Ok(self.0.created_by.as_deref())
    }
}

/// A new residential area; 0 <= elderlyPopulation <= population.
#[derive(InputObject)]
pub struct CreateResidentialAreaInput {
    /// Name of the 小区 or village, 1 to 200 characters (trimmed).
    pub name: String,
    /// Where the area is (e.g. its centroid), in any supported coordinate system.
    pub location: PointInput,
    /// Residents, 0 to 1,000,000.
    pub population: i32,
    /// Residents aged 60 or more.
    pub elderly_population: i32,
    /// 12-digit statistical division code.
    pub community_code: Option<String>,
}

#[derive(Default)]
pub struct ResidentsQuery;

#[Object]
impl ResidentsQuery {
    /// The residential area with this id, or null if there is none.
    async fn residential_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The area's opaque id; a malformed id is BAD_USER_INPUT.")] id: ID,
    ) -> ApiResult<Option<ResidentialArea>> {
        let id = ResidentialAreaId::decode(&id)?;
        let (store, _slot) = reading(ctx).await?;
        Ok(store.residential_area(id).await?.map(ResidentialArea))
    }
}

#[derive(Default)]
pub struct ResidentsMutation;

#[Object]
impl ResidentsMutation {
    /// Adds a residential area. Needs the editor role.
    async fn create_residential_area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new area's fields.")] input: CreateResidentialAreaInput,
    ) -> ApiResult<ResidentialArea> {
        let actor = require(ctx, Role::Editor).await?;
        let draft = ResidentialAreaDraft::new(
            &input.name,
            input.location.to_wgs84()?,
            input.population,
            input.elderly_population,
            input.community_code.as_deref(),
        )?;
        Ok(ResidentialArea(store(ctx)?.create_residential_area(draft, &actor.name).await?))
    }
}
