//! An in-memory copy of every facility with an R-tree over their positions, kept exactly in
//! step with the database so that searches need no table scan yet several processes can share
//! one database: each use first reads the facility table's revision (one single-row query); if
//! it moved, only the facilities changed since the cached revision are reloaded.
//!
//! Writers bump the revision in the same transaction as their change, on a single row that
//! stays locked until commit, so revisions become visible in order and a reader that sees
//! revision N has seen every change up to N.

use super::{Store, StoreResult};
use crate::domain::facility::{Facility, FacilityFilter};
use crate::domain::ids::FacilityId;
use crate::geo::LonLat;
use crate::geo::bounds::Bounds;
use crate::geo::nearest::nearest_by_geodesic;
use crate::geo::sphere_points::SpherePoints;
use entity::{facility_change, facility_revision};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};

/// Above this many changed facilities a full reload is cheaper than a partial one.
const FULL_RELOAD_THRESHOLD: usize = 5_000;

#[derive(Debug, Default)]
pub(super) struct FacilityCache {
    snapshot: RwLock<Snapshot>,
    /// One revision check at a time; requests waiting for it share its answer.
    check: super::shared_check::SharedCheck,
}

#[derive(Debug)]
struct Snapshot {
    /// The revision the snapshot reflects at least; -1 before the first load.
    revision: i64,
    /// Facilities by slot; a deleted facility leaves its slot empty until reused.
    slots: Vec<Option<Arc<Facility>>>,
    free_slots: Vec<u32>,
    slot_of: HashMap<i64, u32>,
    /// Positions, with the id (the tie-break of every search) and the slot of each facility.
    index: SpherePoints<Entry>,
}

/// What the R-tree holds: small and `Copy`, so a search touches no reference counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    id: i64,
    slot: u32,
}

impl Snapshot {
    fn facility(&self, slot: u32) -> Option<&Arc<Facility>> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn remove(&mut self, id: i64) {
        if let Some(slot) = self.slot_of.remove(&id)
            && let Some(old) = self.slots.get_mut(slot as usize).and_then(Option::take)
        {
            self.index.remove(Entry { id, slot }, old.draft.location());
            self.free_slots.push(slot);
        }
    }

    fn insert(&mut self, facility: Facility) {
        let id = facility.id.0;
        let at = facility.draft.location();
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(Arc::new(facility));
                slot
            }
            None => {
                self.slots.push(Some(Arc::new(facility)));
                (self.slots.len() - 1) as u32
            }
        };
        self.slot_of.insert(id, slot);
        self.index.insert(Entry { id, slot }, at);
    }
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            revision: -1,
            slots: Vec::new(),
            free_slots: Vec::new(),
            slot_of: HashMap::new(),
            index: SpherePoints::default(),
        }
    }
}

impl FacilityCache {
    fn read(&self) -> RwLockReadGuard<'_, Snapshot> {
        // A panic while holding the lock cannot leave a half-applied change visible for long:
        // the next refresh replaces it. Reading a poisoned lock is therefore safe.
        self.snapshot.read().unwrap_or_else(|e| e.into_inner())
    }

    fn replace(&self, revision: i64, facilities: Vec<Facility>) {
        let entries: Vec<(Entry, LonLat)> = facilities
            .iter()
            .enumerate()
            .map(|(slot, f)| (Entry { id: f.id.0, slot: slot as u32 }, f.draft.location()))
            .collect();
        let slot_of = entries.iter().map(|(e, _)| (e.id, e.slot)).collect();
        let snapshot = Snapshot {
            revision,
            slots: facilities.into_iter().map(|f| Some(Arc::new(f))).collect(),
            free_slots: Vec::new(),
            slot_of,
            index: SpherePoints::bulk_load(entries),
        };
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    fn apply(&self, revision: i64, changed: &[i64], current: Vec<Facility>) {
        let mut s = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        for &id in changed {
            s.remove(id);
        }
        for f in current {
            s.insert(f);
        }
        s.revision = Ord::max(s.revision, revision);
    }
}

/// Bumps the facility revision inside `txn` and logs the facilities it touched. Call it last
/// in a write transaction: the revision row stays locked until commit.
pub(super) async fn record_change(txn: &impl ConnectionTrait, facility_ids: &[i64]) -> StoreResult<()> {
    let revision = super::revision::bump::<facility_revision::Entity>(txn, REVISION_ID, REVISION).await?;
    for chunk in facility_ids.chunks(1_000) {
        let rows =
            chunk.iter().map(|&id| facility_change::ActiveModel { revision: Set(revision), facility_id: Set(id) });
        facility_change::Entity::insert_many(rows).exec(txn).await?;
    }
    Ok(())
}

async fn current_revision(conn: &impl ConnectionTrait) -> StoreResult<i64> {
    super::revision::read::<facility_revision::Entity>(conn, REVISION_ID, REVISION).await
}

const REVISION_ID: facility_revision::Column = facility_revision::Column::Id;
const REVISION: facility_revision::Column = facility_revision::Column::Revision;

impl Store {
    /// Brings the in-memory facilities up to date with every write committed before this call,
    /// in any process (concurrent callers share one revision check).
    pub async fn sync_facilities(&self) -> StoreResult<()> {
        self.cache.check.run(|| self.refresh_facilities()).await
    }

    /// Reads the current revision and loads whatever changed since the cached one.
    async fn refresh_facilities(&self) -> StoreResult<()> {
        let current = current_revision(self.conn()).await?;
        let cached = self.cache.read().revision;
        if cached >= current {
            return Ok(());
        }
        let changed: Option<Vec<i64>> = if cached < 0 {
            None
        } else {
            let ids: Vec<i64> = facility_change::Entity::find()
                .select_only()
                .column(facility_change::Column::FacilityId)
                .distinct()
                .filter(facility_change::Column::Revision.gt(cached))
                .limit(FULL_RELOAD_THRESHOLD as u64 + 1)
                .into_tuple()
                .all(self.conn())
                .await?;
            (ids.len() <= FULL_RELOAD_THRESHOLD).then_some(ids)
        };
        // Rows read now may be newer than `current`; applying them again later is harmless.
        match changed {
            Some(ids) => {
                let typed: Vec<FacilityId> = ids.iter().copied().map(FacilityId).collect();
                let rows = self.facilities_by_ids(&typed).await?;
                self.cache.apply(current, &ids, rows);
            }
            None => {
                let all = self.all_facilities().await?;
                tracing::info!(facilities = all.len(), revision = current, "loaded all facilities");
                self.cache.replace(current, all);
            }
        }
        Ok(())
    }

    /// The `limit` facilities passing `filter` nearest to `center` (geodesic distance, then
    /// id), at most `radius_m` away when given; without a radius, the nearest anywhere.
    pub async fn nearest_facilities(
        &self,
        center: LonLat,
        radius_m: Option<f64>,
        limit: usize,
        filter: &FacilityFilter,
    ) -> StoreResult<Vec<(Arc<Facility>, f64)>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        let everything = *filter == FacilityFilter::default();
        let admitted = |e: &Entry| everything || snapshot.facility(e.slot).is_some_and(|f| filter.matches(&f.draft));
        // Nearest first on the sphere, so the search reads about `limit` facilities (plus the
        // ones the filter rejects) however many there are.
        let candidates =
            snapshot.index.nearest_first(center).filter(|(e, _, _)| admitted(e)).map(|(e, p, d)| (*e, p, d));
        let ranked = nearest_by_geodesic(center, candidates, radius_m, limit);
        Ok(ranked
            .into_iter()
            .filter_map(|r| snapshot.facility(r.id.slot).map(|f| (Arc::clone(f), r.distance_m)))
            .collect())
    }
}

impl Store {
    /// The facility revision the in-memory copy reflects, brought up to date first. Anything
    /// that bumps the revision in its transaction (facility writes, holiday calendars) is
    /// visible to a reader that sees a higher number.
    pub(super) async fn synced_revision(&self) -> StoreResult<i64> {
        self.sync_facilities().await?;
        Ok(self.cache.read().revision)
    }

    /// The facility with this id as of this call, from the in-memory copy: many callers at
    /// once (every subscriber of a change) share one revision check.
    pub async fn facility_current(&self, id: FacilityId) -> StoreResult<Option<Arc<Facility>>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        Ok(snapshot.slot_of.get(&id.0).and_then(|&slot| snapshot.facility(slot)).cloned())
    }

    /// Every facility passing `filter` inside `bounds`, in id order, as of this call: read
    /// nearest first from the rectangle's center, so a district's question reads the
    /// district's facilities, not the province's.
    pub async fn facilities_matching_within(
        &self,
        filter: &FacilityFilter,
        bounds: Bounds,
    ) -> StoreResult<Vec<Arc<Facility>>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        let radius = bounds.radius_m();
        let mut matching: Vec<Arc<Facility>> = snapshot
            .index
            .nearest_first(bounds.center())
            .take_while(|(_, _, d)| *d <= radius)
            .filter(|(_, p, _)| bounds.contains(*p))
            .filter_map(|(e, _, _)| snapshot.facility(e.slot))
            .filter(|f| filter.matches(&f.draft))
            .cloned()
            .collect();
        matching.sort_unstable_by_key(|f| f.id);
        Ok(matching)
    }

    /// Every facility passing `filter`, in id order, as of this call.
    pub async fn facilities_matching(&self, filter: &FacilityFilter) -> StoreResult<Vec<Arc<Facility>>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        let mut matching: Vec<Arc<Facility>> =
            snapshot.slots.iter().flatten().filter(|f| filter.matches(&f.draft)).cloned().collect();
        matching.sort_unstable_by_key(|f| f.id);
        Ok(matching)
    }
}
