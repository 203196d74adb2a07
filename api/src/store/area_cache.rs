//! Every residential area in memory, indexed by position and by community code, kept in step
//! with the database by a revision exactly as facilities are: each use reads the revision (one
//! single-row query) and loads only the areas written after the cached one. A coverage question
//! about one district then reads the district's areas from an index, not the province's rows
//! from the database.
//!
//! Areas are only ever added (there is no update or delete of an area): a write stores its rows
//! with the revision it bumped, inside one transaction that holds the revision row until
//! commit, so a reader that sees revision N finds every area up to N by `revision <= N`.

use super::{Store, StoreResult};
use crate::domain::ids::ResidentialAreaId;
use crate::domain::residents::{AreaEntry, ResidentialAreaDraft};
use crate::geo::LonLat;
use crate::geo::point_cells::PointCells;
use entity::{residential_area, residential_area_revision};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::sync::{Arc, RwLock};

#[derive(Debug, Default)]
pub(super) struct AreaCache {
    snapshot: RwLock<Arc<Areas>>,
    check: super::shared_check::SharedCheck,
}

/// The residential areas as of one revision. Immutable: a newer revision is a new value, so a
/// question keeps a consistent set for as long as it runs.
#[derive(Debug)]
pub struct Areas {
    /// The revision reflected; -1 before the first load.
    revision: i64,
    /// In id order.
    areas: Vec<Arc<AreaEntry>>,
    /// Positions, naming each area by its index in `areas`.
    positions: PointCells,
    /// Indices of the areas that have a community code, in code order.
    by_code: Vec<u32>,
}

impl Default for Areas {
    fn default() -> Self {
        Self { revision: -1, areas: Vec::new(), positions: PointCells::default(), by_code: Vec::new() }
    }
}

impl Areas {
    fn new(revision: i64, mut areas: Vec<Arc<AreaEntry>>) -> Self {
        areas.sort_by_key(|a| a.id);
        areas.dedup_by_key(|a| a.id);
        let positions = PointCells::new(&areas.iter().map(|a| a.draft.location).collect::<Vec<_>>());
        let mut by_code: Vec<u32> =
            (0..areas.len() as u32).filter(|&i| areas[i as usize].draft.community_code.is_some()).collect();
        by_code.sort_by(|&a, &b| areas[a as usize].draft.community_code.cmp(&areas[b as usize].draft.community_code));
        Self { revision, areas, positions, by_code }
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Every area, in id order.
    pub fn all(&self) -> &[Arc<AreaEntry>] {
        &self.areas
    }

    /// The areas whose community code starts with `prefix`, in id order.
    pub fn with_code_prefix(&self, prefix: &str) -> Vec<&Arc<AreaEntry>> {
        let code = |i: &u32| self.areas[*i as usize].draft.community_code.as_deref().unwrap_or_default();
        let first = self.by_code.partition_point(|i| code(i) < prefix);
        let mut found: Vec<u32> =
            self.by_code[first..].iter().take_while(|i| code(i).starts_with(prefix)).copied().collect();
        found.sort_unstable();
        found.into_iter().map(|i| &self.areas[i as usize]).collect()
    }

    /// The areas inside the longitude-latitude rectangle from `min` to `max` (edges included),
    /// in id order.
    pub fn in_bounds(&self, min: LonLat, max: LonLat) -> Vec<&Arc<AreaEntry>> {
        let found = self.positions.in_rectangle(min, max, |i| self.areas[i as usize].draft.location);
        found.into_iter().map(|i| &self.areas[i as usize]).collect()
    }
}

impl AreaCache {
    fn current(&self) -> Arc<Areas> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Bumps the residential-area revision inside `txn` and returns it.
pub(super) async fn next_revision(txn: &impl ConnectionTrait) -> StoreResult<i64> {
    super::revision::bump::<residential_area_revision::Entity>(txn, REVISION_ID, REVISION).await
}

/// The columns of an area the cache reads.
type AreaRow = (i64, String, f64, f64, i32, i32, Option<String>);

/// Areas read per query when loading them.
const LOAD_PAGE: u64 = 10_000;

const REVISION_ID: residential_area_revision::Column = residential_area_revision::Column::Id;
const REVISION: residential_area_revision::Column = residential_area_revision::Column::Revision;

impl Store {
    /// Every residential area as of this call (written before it through any process).
    pub async fn residential_areas(&self) -> StoreResult<Arc<Areas>> {
        self.areas.check.run(|| self.refresh_areas()).await?;
        Ok(self.areas.current())
    }

    async fn refresh_areas(&self) -> StoreResult<()> {
        let revision = self.counter(super::revision::Counter::ResidentialAreas).await?;
        let cached = self.areas.current();
        if cached.revision >= revision {
            return Ok(());
        }
        // A page at a time: each page's rows are turned into areas and dropped before the next
        // is read, so a province's areas are never held twice (which fragments the heap).
        let mut areas: Vec<Arc<AreaEntry>> = cached.areas.clone();
        let mut after = None;
        loop {
            let mut query = residential_area::Entity::find()
                .select_only()
                .columns([
                    residential_area::Column::Id,
                    residential_area::Column::Name,
                    residential_area::Column::Lon,
                    residential_area::Column::Lat,
                    residential_area::Column::Population,
                    residential_area::Column::ElderlyPopulation,
                    residential_area::Column::CommunityCode,
                ])
                .filter(residential_area::Column::Revision.gt(cached.revision))
                .filter(residential_area::Column::Revision.lte(revision));
            if let Some(after) = after {
                query = query.filter(residential_area::Column::Id.gt(after));
            }
            let rows: Vec<AreaRow> =
                query.order_by_asc(residential_area::Column::Id).limit(LOAD_PAGE).into_tuple().all(self.conn()).await?;
            let full = rows.len() as u64 == LOAD_PAGE;
            after = rows.last().map(|r| r.0);
            for (id, name, lon, lat, population, elderly_population, code) in rows {
                let draft = ResidentialAreaDraft {
                    name,
                    location: LonLat { lon, lat },
                    population,
                    elderly_population,
                    community_code: super::stored_code(id, code.as_deref())?,
                };
                areas.push(Arc::new(AreaEntry { id: ResidentialAreaId(id), draft }));
            }
            if !full {
                break;
            }
        }
        let added = areas.len() - cached.areas.len();
        let updated = Areas::new(revision, areas);
        tracing::info!(added, areas = updated.len(), revision, "loaded residential areas");
        *self.areas.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(updated);
        Ok(())
    }
}
