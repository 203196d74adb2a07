//! The accessibility query: E2SFCA scores per residential area and per community, as objects
//! and as GeoJSON. The resolver parses the input into an `app::accessibility` question.

use super::coverage::{CoverageInput, int};
use super::geojson::{self, GeoJson};
use super::geometry::Crs;
use super::{cost, services};
use crate::app::accessibility::{self as app, AccessibilityQuestion, AccessibilityReport, Supply};
use crate::error::{ApiError, ApiResult};
use crate::geo::accessibility::{Zone, Zones};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use serde_json::json;
use std::sync::Arc;

/// A travel-time zone: trips longer than the previous zone's bound and up to `upToMinutes`
/// weigh `weight`.
#[derive(InputObject, SimpleObject, Clone, Copy)]
#[graphql(input_name = "DecayZoneInput")]
pub struct DecayZone {
    /// The zone's upper bound, minutes; bounds increase from zone to zone.
    pub up_to_minutes: f64,
    /// The weight of its trips, 0 to 1.
    pub weight: f64,
}

/// The example threshold, places per 1,000 elderly residents: China's 13th Five-Year Plan for
/// elderly care aimed at 35-40 care beds per 1,000 elderly. Set the local standard.
pub const DEFAULT_THRESHOLD: f64 = 35.0;

/// An accessibility question.
#[derive(InputObject)]
pub struct AccessibilityInput {
    /// The demand (residential areas in scope), the facilities that count and the travel; the
    /// travel budget is the catchment unless `zones` are given.
    pub coverage: CoverageInput,
    /// Which number of a facility counts as its places; facilities without it are left out
    /// (and counted in `facilitiesWithoutSupply`).
    #[graphql(default_with = "Some(Supply::Capacity)")]
    pub supply: Option<Supply>,
    /// Travel-time zones and their weights, nearest first; the last bound is the catchment.
    /// Default: three equal zones of the travel budget weighing 1, 0.68 and 0.22 (Luo & Qi,
    /// Health & Place 15(4), 2009).
    pub zones: Option<Vec<DecayZone>>,
    /// Places per 1,000 elderly residents below which an area falls short; default 35, an
    /// example (see the README) to be replaced by the local standard.
    #[graphql(default_with = "Some(DEFAULT_THRESHOLD)")]
    pub threshold: Option<f64>,
}

/// An accessibility report.
pub struct Accessibility(Arc<AccessibilityReport>);

impl AccessibilityInput {
    /// The longest trip the question times, for its cost: the last zone's bound, or the
    /// travel budget.
    fn catchment_minutes(&self) -> f64 {
        let last = self.zones.as_ref().and_then(|z| z.last()).map_or(0.0, |z| z.up_to_minutes);
        self.coverage.budget_minutes().max(last)
    }
}

/// Accessibility of the residential areas in scope: enhanced two-step floating catchment
/// area (E2SFCA) scores, in places per 1,000 elderly residents.
#[Object]
impl Accessibility {
    /// Every residential area in scope with its score, in id order.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn areas(&self) -> Vec<AreaAccessibility> {
        self.0
            .areas
            .iter()
            .map(|a| AreaAccessibility {
                residential_area_id: ID(a.area.id.encode()),
                name: a.area.draft.name.clone(),
                community_code: a.area.draft.community_code.as_deref().map(str::to_owned),
                elderly_population: a.area.draft.elderly_population,
                score: a.score,
                facilities_reached: i32::try_from(a.facilities_reached).unwrap_or(i32::MAX),
                below_threshold: a.score < self.0.threshold,
            })
            .collect()
    }

    /// The figures per community (whole community code), sorted by code, areas without a code
    /// last.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn communities(&self) -> Vec<CommunityAccessibility> {
        self.0
            .communities
            .iter()
            .map(|c| CommunityAccessibility {
                community_code: c.community_code.clone(),
                residential_areas: int(c.areas),
                elderly_population: int(c.elderly),
                mean_score: c.mean_score,
                elderly_below_threshold: int(c.elderly_below),
                share_below_threshold: c.share_below,
                places_missing: c.places_missing,
            })
            .collect()
    }

    /// The threshold the figures were counted against, places per 1,000 elderly residents.
    async fn threshold(&self) -> f64 {
        self.0.threshold
    }

    /// The zones and weights used.
    async fn zones(&self) -> Vec<DecayZone> {
        self.0.zones.zones().iter().map(|z| DecayZone { up_to_minutes: z.up_to_minutes, weight: z.weight }).collect()
    }

    /// Counted facilities within reach of the scope whose supply was known.
    async fn facilities_counted(&self) -> i32 {
        int(self.0.facilities_counted as i64)
    }

    /// Counted facilities within reach that state no supply by the chosen measure (left out).
    async fn facilities_without_supply(&self) -> i32 {
        int(self.0.facilities_without_supply as i64)
    }

    /// Every area as a GeoJSON Point feature with `score`, `facilitiesReached` and
    /// `belowThreshold`, for colouring a map.
    #[graphql(complexity = "cost::COLLECTION")]
    async fn features(
        &self,
        #[graphql(default_with = "Some(Crs::default())", desc = "The coordinate system of the points; default WGS84.")]
        crs: Option<Crs>,
    ) -> GeoJson {
        let crs = crs.unwrap_or_default();
        let features = self
            .0
            .areas
            .iter()
            .map(|a| {
                geojson::feature(
                    geojson::point(a.area.draft.location, crs),
                    json!({
                        "id": a.area.id.encode(),
                        "name": a.area.draft.name,
                        "elderlyPopulation": a.area.draft.elderly_population,
                        "communityCode": a.area.draft.community_code,
                        "score": a.score,
                        "facilitiesReached": a.facilities_reached,
                        "belowThreshold": a.score < self.0.threshold,
                    }),
                )
            })
            .collect();
        geojson::feature_collection(features)
    }
}

/// One residential area's accessibility.
#[derive(SimpleObject)]
pub struct AreaAccessibility {
    /// The residential area.
    pub residential_area_id: ID,
    /// Its name.
    pub name: String,
    /// Its 12-digit community code, if known.
    pub community_code: Option<String>,
    /// Its residents aged 60 or more: the demand it adds to every facility it reaches.
    pub elderly_population: i32,
    /// Places per 1,000 elderly residents within reach: the supply-to-demand ratios of the
    /// facilities it reaches, weighted by travel-time zone, summed.
    pub score: f64,
    /// Counted facilities with known supply that it reaches within the zones.
    pub facilities_reached: i32,
    /// Whether `score` is below the threshold.
    pub below_threshold: bool,
}

/// One community's accessibility.
#[derive(SimpleObject)]
pub struct CommunityAccessibility {
    /// The community's code; null for areas without a code.
    pub community_code: Option<String>,
    /// Its residential areas in scope.
    pub residential_areas: i32,
    /// Their residents aged 60 or more.
    pub elderly_population: i32,
    /// The elderly-weighted mean of its areas' scores (0 when it has no elderly).
    pub mean_score: f64,
    /// Elderly residents of its areas scoring below the threshold.
    pub elderly_below_threshold: i32,
    /// elderlyBelowThreshold / elderlyPopulation (0 when it has no elderly).
    pub share_below_threshold: f64,
    /// Places its areas below the threshold lack to reach it: each area's shortfall times its
    /// elderly / 1,000. New places are shared with neighbours, so this bounds the need from
    /// above.
    pub places_missing: f64,
}

#[derive(Default)]
pub struct AccessibilityQuery;

#[Object]
impl AccessibilityQuery {
    /// Whether what is within reach is enough: an enhanced two-step floating catchment area
    /// (E2SFCA) score for every residential area in scope, from the supply of the counted
    /// facilities within reach and the elderly residents who share them, and per community.
    #[graphql(
        complexity = "cost::accessibility(input.catchment_minutes(), input.coverage.vertices(), child_complexity)"
    )]
    async fn accessibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The demand, the facilities, their supply, the zones and the threshold.")]
        input: AccessibilityInput,
    ) -> ApiResult<Accessibility> {
        let zones = input
            .zones
            .map(|z| {
                Zones::new(z.into_iter().map(|z| Zone { up_to_minutes: z.up_to_minutes, weight: z.weight }).collect())
            })
            .transpose()
            .map_err(ApiError::BadUserInput)?;
        let threshold = input.threshold.unwrap_or(DEFAULT_THRESHOLD);
        if !(threshold.is_finite() && threshold >= 0.0) {
            return Err(ApiError::BadUserInput(format!("threshold must be a number of 0 or more, got {threshold}")));
        }
        if let Some(z) = &zones
            && z.catchment_minutes() > crate::domain::travel::MAX_MINUTES
        {
            return Err(ApiError::BadUserInput(format!(
                "the last zone may reach at most {} minutes, got {}",
                crate::domain::travel::MAX_MINUTES,
                z.catchment_minutes()
            )));
        }
        let coverage = input.coverage.question(ctx).await?;
        let supply = input.supply.unwrap_or_default();
        let question = AccessibilityQuestion { coverage, supply, zones, threshold };
        Ok(Accessibility(Arc::new(app::accessibility(&services(ctx)?, question).await?)))
    }
}
