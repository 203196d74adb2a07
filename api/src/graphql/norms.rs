//! Life-circle norm sets (loaded by an admin) and compliance with them. The resolvers parse
//! the input into domain types and call `app::norms`.

use super::coverage::{int, read_area};
use super::geojson::{self, GeoJson};
use super::geometry::Crs;
use super::travel::TravelInput;
use super::{cost, reading, require, services, store};
use crate::app::coverage::Scope;
use crate::app::norms::{self as app, ComplianceQuestion, ComplianceReport, Tally};
use crate::domain::facility::{FacilityCategory, FacilityKind};
use crate::domain::norms::{self as domain, NormCircle, Requirement};
use crate::domain::role::Role;
use crate::domain::supply::Supply;
use crate::domain::travel::DEFAULT_MINUTES;
use crate::domain::validate;
use crate::error::ApiResult;
use crate::store::StoredNorms;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

/// One circle of a norm set to load.
#[derive(InputObject)]
pub struct NormCircleInput {
    /// The circle's travel time, minutes, (0, 120]; each circle of a set once.
    pub minutes: f64,
    /// What every residential area must reach within it; at least one.
    pub requirements: Vec<NormRequirementInput>,
}

/// One requirement to load: at least one facility of the named categories or kinds within the
/// circle, and optionally enough places.
#[derive(InputObject)]
pub struct NormRequirementInput {
    /// Names the requirement in answers; unique within the set.
    pub label: String,
    /// Facilities of any kind of these categories satisfy it.
    #[graphql(default_with = "Some(Vec::new())")]
    pub categories: Option<Vec<FacilityCategory>>,
    /// Facilities of these kinds satisfy it (as well as those of `categories`).
    #[graphql(default_with = "Some(Vec::new())")]
    pub kinds: Option<Vec<FacilityKind>>,
    /// Places per 1,000 elderly residents that must be within the circle: each facility's
    /// places shared among the elderly residents who reach it (a two-step floating catchment
    /// score); null: one facility is enough.
    #[graphql(name = "placesPer1000Elderly")]
    pub places_per_1000_elderly: Option<f64>,
    /// Which number of a facility counts as its places.
    #[graphql(default_with = "Some(Supply::Capacity)")]
    pub supply: Option<Supply>,
}

/// Which residential areas a question is about; default: all.
#[derive(InputObject)]
pub struct ScopeInput {
    /// The residential areas of a division (leading digits of the community code).
    pub community_code_prefix: Option<String>,
    /// The residential areas inside a WGS-84 Polygon or MultiPolygon.
    pub within: Option<GeoJson>,
}

impl ScopeInput {
    pub(super) fn vertices(scope: Option<&Self>) -> usize {
        scope.and_then(|s| s.within.as_ref()).map_or(0, |w| geojson::position_count(&w.0))
    }

    pub(super) fn parse(scope: Option<Self>) -> ApiResult<Scope> {
        let Some(s) = scope else { return Ok(Scope::default()) };
        let prefix = s.community_code_prefix.as_deref().map(validate::community_code_prefix).transpose()?;
        let within = s.within.as_ref().map(|g| read_area(&g.0)).transpose()?;
        Ok(Scope { prefix, within })
    }
}

/// A loaded norm set.
pub struct NormSet(Arc<StoredNorms>);

/// A named set of life circles, each with what every residential area must reach within it.
#[Object]
impl NormSet {
    /// Its name, as `normCompliance` takes it.
    async fn name(&self) -> &str {
        &self.0.set.name
    }

    /// Where its numbers come from.
    async fn description(&self) -> Option<&str> {
        self.0.set.description.as_deref()
    }

    /// 1 when first loaded, one more each time a set of this name is loaded again.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When this version was loaded.
    async fn loaded_at(&self) -> DateTime<Utc> {
        self.0.loaded_at
    }

    /// The name of the token that loaded it. Needs the admin role.
    async fn loaded_by(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        require(ctx, Role::Admin).await?;
        Ok(&self.0.loaded_by)
    }

    /// Its circles, nearest first.
    async fn circles(&self) -> Vec<NormCircleView> {
        self.0.set.circles.iter().map(NormCircleView::from).collect()
    }
}

/// One circle of a norm set.
#[derive(SimpleObject)]
#[graphql(name = "NormCircle")]
pub struct NormCircleView {
    /// The circle's travel time, minutes.
    pub minutes: f64,
    /// What every residential area must reach within it.
    pub requirements: Vec<NormRequirement>,
}

impl From<&NormCircle> for NormCircleView {
    fn from(c: &NormCircle) -> Self {
        Self { minutes: c.minutes, requirements: c.requirements.iter().map(NormRequirement::from).collect() }
    }
}

/// One requirement of a circle.
#[derive(SimpleObject)]
pub struct NormRequirement {
    /// Names the requirement in answers.
    pub label: String,
    /// Facilities of any kind of these categories satisfy it.
    pub categories: Vec<FacilityCategory>,
    /// Facilities of these kinds satisfy it.
    pub kinds: Vec<FacilityKind>,
    /// Places per 1,000 elderly residents that must be within the circle; null: one facility
    /// is enough.
    #[graphql(name = "placesPer1000Elderly")]
    pub places_per_1000_elderly: Option<f64>,
    /// Which number of a facility counts as its places.
    pub supply: Supply,
}

impl From<&Requirement> for NormRequirement {
    fn from(r: &Requirement) -> Self {
        Self {
            label: r.label.clone(),
            categories: r.categories.clone(),
            kinds: r.kinds.clone(),
            places_per_1000_elderly: r.places_per_1000_elderly,
            supply: r.supply,
        }
    }
}

/// How far the areas of a group meet the norm set.
pub struct NormCompliance(Arc<ComplianceReport>);

impl NormCompliance {
    fn requirements_of(&self, tally: &Tally) -> Vec<RequirementCompliance> {
        self.0
            .norms
            .set
            .requirements()
            .zip(&tally.meeting)
            .map(|((minutes, r), &(areas, elderly))| RequirementCompliance {
                label: r.label.clone(),
                minutes,
                areas_meeting: int(areas),
                elderly_meeting: int(elderly),
                share_of_elderly_meeting: tally.share(elderly),
            })
            .collect()
    }

    fn unmet(&self, meets: &[bool]) -> Vec<String> {
        self.0.norms.set.requirements().zip(meets).filter(|(_, m)| !**m).map(|((_, r), _)| r.label.clone()).collect()
    }
}

/// Which requirements of a norm set the residential areas in scope meet, per area, per
/// community and in all.
#[Object]
impl NormCompliance {
    /// The norm set checked.
    async fn norm_set(&self) -> NormSet {
        NormSet(Arc::new(self.0.norms.clone()))
    }

    /// Residential areas in scope.
    async fn residential_areas(&self) -> i32 {
        int(self.0.total.areas)
    }

    /// Their residents aged 60 or more.
    async fn elderly_population(&self) -> i32 {
        int(self.0.total.elderly)
    }

    /// Elderly residents of areas meeting every requirement.
    async fn elderly_meeting_all(&self) -> i32 {
        int(self.0.total.elderly_meeting_all)
    }

    /// elderlyMeetingAll / elderlyPopulation (0 without elderly residents).
    async fn share_of_elderly_meeting_all(&self) -> f64 {
        self.0.total.share(self.0.total.elderly_meeting_all)
    }

    /// Each requirement (nearest circle first) and who in scope meets it.
    async fn requirements(&self) -> Vec<RequirementCompliance> {
        self.requirements_of(&self.0.total)
    }

    /// Every residential area in scope, in id order, with the requirements it does not meet.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn areas(&self) -> Vec<AreaCompliance> {
        self.0
            .areas
            .iter()
            .map(|a| AreaCompliance {
                residential_area_id: ID(a.area.id.encode()),
                name: a.area.draft.name.clone(),
                community_code: a.area.draft.community_code.as_deref().map(str::to_owned),
                elderly_population: a.area.draft.elderly_population,
                meets_all: a.meets_all(),
                unmet: self.unmet(&a.meets),
            })
            .collect()
    }

    /// The figures per community (whole community code), worst first: the lowest share of
    /// elderly residents meeting every requirement, then the most elderly residents not
    /// meeting them; communities without elderly residents and areas without a code last.
    #[graphql(complexity = "cost::unbounded(child_complexity)")]
    async fn communities(&self) -> Vec<CommunityCompliance> {
        self.0
            .communities
            .iter()
            .map(|(code, t)| CommunityCompliance {
                community_code: code.clone(),
                residential_areas: int(t.areas),
                elderly_population: int(t.elderly),
                elderly_meeting_all: int(t.elderly_meeting_all),
                share_of_elderly_meeting_all: t.share(t.elderly_meeting_all),
                requirements: self.requirements_of(t),
            })
            .collect()
    }

    /// Every area as a GeoJSON Point feature with `meetsAll` and `unmet`, for a map.
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
                        "meetsAll": a.meets_all(),
                        "unmet": self.unmet(&a.meets),
                    }),
                )
            })
            .collect();
        geojson::feature_collection(features)
    }
}

/// One requirement and who in a group meets it.
#[derive(SimpleObject)]
pub struct RequirementCompliance {
    /// The requirement's label.
    pub label: String,
    /// Its circle's minutes.
    pub minutes: f64,
    /// Residential areas meeting it.
    pub areas_meeting: i32,
    /// Their residents aged 60 or more.
    pub elderly_meeting: i32,
    /// elderlyMeeting / the group's elderly residents (0 without elderly residents).
    pub share_of_elderly_meeting: f64,
}

/// One residential area's compliance.
#[derive(SimpleObject)]
pub struct AreaCompliance {
    /// The residential area.
    pub residential_area_id: ID,
    /// Its name.
    pub name: String,
    /// Its 12-digit community code, if known.
    pub community_code: Option<String>,
    /// Its residents aged 60 or more.
    pub elderly_population: i32,
    /// Whether it meets every requirement.
    pub meets_all: bool,
    /// The labels of the requirements it does not meet, nearest circle first.
    pub unmet: Vec<String>,
}

/// One community's compliance.
#[derive(SimpleObject)]
pub struct CommunityCompliance {
    /// The community's code; null for areas without a code.
    pub community_code: Option<String>,
    /// Its residential areas in scope.
    pub residential_areas: i32,
    /// Their residents aged 60 or more.
    pub elderly_population: i32,
    /// Elderly residents of its areas meeting every requirement.
    pub elderly_meeting_all: i32,
    /// elderlyMeetingAll / elderlyPopulation (0 without elderly residents).
    pub share_of_elderly_meeting_all: f64,
    /// Each requirement and who in the community meets it.
    pub requirements: Vec<RequirementCompliance>,
}

#[derive(Default)]
pub struct NormsQuery;

#[Object]
impl NormsQuery {
    /// Every loaded norm set, by name.
    async fn norm_sets(&self, ctx: &Context<'_>) -> ApiResult<Vec<NormSet>> {
        let (store, _slot) = reading(ctx).await?;
        Ok(store.norm_sets().await?.into_iter().map(|n| NormSet(Arc::new(n))).collect())
    }

    /// Which requirements of a loaded norm set the residential areas in scope meet: per area,
    /// per community (worst first) and in all, with the share of elderly residents meeting
    /// each. Each circle's minutes replace the travel budget.
    #[graphql(
        complexity = "cost::accessibility(DEFAULT_MINUTES, ScopeInput::vertices(scope.as_ref()), child_complexity)"
    )]
    async fn norm_compliance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The name of a loaded norm set (see normSets).")] norm_set: String,
        #[graphql(desc = "Which residential areas; default: all.")] scope: Option<ScopeInput>,
        #[graphql(desc = "How residents travel; default: ELDERLY_WALK (0.75 m/s), AUTO, detour factor 1.3.")]
        travel: Option<TravelInput>,
    ) -> ApiResult<NormCompliance> {
        let travel = TravelInput::parse(travel, DEFAULT_MINUTES)?;
        let scope = ScopeInput::parse(scope)?;
        let question = ComplianceQuestion { norm_set, scope, travel };
        Ok(NormCompliance(Arc::new(app::compliance(&services(ctx)?, question).await?)))
    }
}

#[derive(Default)]
pub struct NormsMutation;

#[Object]
impl NormsMutation {
    /// Loads a norm set under `name`, replacing the set of that name if there is one (its
    /// version grows by one). Checked whole before anything is written. Needs the admin role.
    async fn load_norms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The set's name, 1 to 100 characters.")] name: String,
        #[graphql(desc = "Where its numbers come from.")] description: Option<String>,
        #[graphql(desc = "Its circles, each with at least one requirement.")] circles: Vec<NormCircleInput>,
    ) -> ApiResult<NormSet> {
        let actor = require(ctx, Role::Admin).await?;
        let set = domain::NormSet {
            name,
            description,
            circles: circles
                .into_iter()
                .map(|c| NormCircle {
                    minutes: c.minutes,
                    requirements: c
                        .requirements
                        .into_iter()
                        .map(|r| Requirement {
                            label: r.label,
                            categories: r.categories.unwrap_or_default(),
                            kinds: r.kinds.unwrap_or_default(),
                            places_per_1000_elderly: r.places_per_1000_elderly,
                            supply: r.supply.unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect(),
        }
        .check()?;
        Ok(NormSet(Arc::new(store(ctx)?.load_norms(&set, &actor.name).await?)))
    }

    /// Removes the norm set named `name`: true when it was removed, false when there was none.
    /// Needs the admin role.
    async fn remove_norms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The set's name.")] name: String,
    ) -> ApiResult<bool> {
        require(ctx, Role::Admin).await?;
        match store(ctx)?.remove_norms(&name).await {
            Ok(()) => Ok(true),
            Err(crate::store::StoreError::NotFound) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
