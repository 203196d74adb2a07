//! What searches read of every facility, in memory with an R-tree over their positions, kept
//! exactly in step with the database so that searches need no table scan yet several processes
//! can share one database: each use first reads the facility table's revision (one single-row
//! query); if it moved, only the facilities changed since the cached revision are reloaded.
//!
//! Only what a search, a filter or a map tile reads is held (position, kind, name, community
//! code, opening hours, service tags: about 250 bytes a facility with the index); the
//! facilities a question returns are read from the database by id. A province's million facilities then take 200 MB rather
//! than 700, and load in a fraction of the time.
//!
//! Writers bump the revision in the same transaction as their change, on a single row that
//! stays locked until commit, so revisions become visible in order and a reader that sees
//! revision N has seen every change up to N.

use super::{Store, StoreResult, interned, stored_code};
use crate::domain::community_code::CommunityCode;
use crate::domain::facility::{Facility, FacilityFilter, FacilityKind, FilteredFields};
use crate::domain::ids::FacilityId;
use crate::geo::LonLat;
use crate::geo::bounds::Bounds;
use crate::geo::nearest::nearest_by_geodesic;
use crate::geo::sphere_points::SpherePoints;
use entity::{facility, facility_change, facility_revision, facility_service};
use hashlink::LruCache;
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

/// Above this many changed facilities a full reload is cheaper than a partial one.
const FULL_RELOAD_THRESHOLD: usize = 5_000;

/// Facilities read per query when loading them.
const LOAD_PAGE: u64 = 10_000;

/// How many whole facilities recently returned are kept (about 400 bytes each, so at most
/// about 40 MiB): the ones the maps of a city keep asking for are answered without reading
/// the database (which cuts a nearby search's throughput to a third).
const RECENT_FACILITIES: usize = 100_000;

#[derive(Debug)]
pub(super) struct FacilityCache {
    snapshot: RwLock<Snapshot>,
    /// One revision check at a time; requests waiting for it share its answer.
    check: super::shared_check::SharedCheck,
    /// Whole facilities recently read, current as of the snapshot's revision: a change drops
    /// its facilities (under the snapshot's write lock), and a read only lands here if no
    /// change was applied while it ran.
    recent: Mutex<LruCache<i64, Arc<Facility>, foldhash::fast::RandomState>>,
}

impl Default for FacilityCache {
    fn default() -> Self {
        Self {
            snapshot: RwLock::default(),
            check: Default::default(),
            recent: Mutex::new(LruCache::with_hasher(RECENT_FACILITIES, foldhash::fast::RandomState::default())),
        }
    }
}

/// What a map draws of a facility.
#[derive(Clone, Debug, PartialEq)]
pub struct FacilityMark {
    pub id: FacilityId,
    pub location: LonLat,
    pub kind: FacilityKind,
    pub name: Arc<str>,
}

/// What searches and filters read of one facility.
#[derive(Debug, Clone)]
struct Indexed {
    location: LonLat,
    kind: FacilityKind,
    /// For map tiles, which label every facility they draw.
    name: Arc<str>,
    community_code: Option<CommunityCode>,
    opening_hours: Option<Arc<str>>,
    services: Option<Arc<[String]>>,
}

impl Indexed {
    fn passes(&self, filter: &FacilityFilter) -> bool {
        filter.admits(FilteredFields {
            kind: self.kind,
            services: self.services.as_deref().unwrap_or_default(),
            community_code: self.community_code.as_deref(),
            opening_hours: self.opening_hours.as_deref(),
        })
    }
}

#[derive(Debug)]
struct Snapshot {
    /// The revision the snapshot reflects at least; -1 before the first load.
    revision: i64,
    /// Facilities by slot; a deleted facility leaves its slot empty until reused.
    slots: Vec<Option<Indexed>>,
    free_slots: Vec<u32>,
    slot_of: HashMap<i64, u32>,
    /// Positions, with the id (the tie-break of every search) and the slot of each facility.
    index: SpherePoints<Entry>,
}

/// What the R-tree holds: small and `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    id: i64,
    slot: u32,
}

impl Snapshot {
    fn facility(&self, slot: u32) -> Option<&Indexed> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn remove(&mut self, id: i64) {
        if let Some(slot) = self.slot_of.remove(&id)
            && let Some(old) = self.slots.get_mut(slot as usize).and_then(Option::take)
        {
            self.index.remove(Entry { id, slot }, old.location);
            self.free_slots.push(slot);
        }
    }

    fn insert(&mut self, id: i64, facility: Indexed) {
        let at = facility.location;
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(facility);
                slot
            }
            None => {
                self.slots.push(Some(facility));
                (self.slots.len() - 1) as u32
            }
        };
        self.slot_of.insert(id, slot);
        self.index.insert(Entry { id, slot }, at);
    }

    /// The ids and positions of the facilities passing `filter`, in id order.
    fn matching(&self, filter: &FacilityFilter) -> Vec<(i64, LonLat)> {
        let mut found: Vec<(i64, LonLat)> = self
            .slot_of
            .iter()
            .filter_map(|(&id, &slot)| self.facility(slot).filter(|f| f.passes(filter)).map(|f| (id, f.location)))
            .collect();
        found.sort_unstable_by_key(|(id, _)| *id);
        found
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

    fn replace(&self, revision: i64, facilities: Vec<(i64, Indexed)>) {
        let entries: Vec<(Entry, LonLat)> = facilities
            .iter()
            .enumerate()
            .map(|(slot, (id, f))| (Entry { id: *id, slot: slot as u32 }, f.location))
            .collect();
        let slot_of = entries.iter().map(|(e, _)| (e.id, e.slot)).collect();
        let snapshot = Snapshot {
            revision,
            slots: facilities.into_iter().map(|(_, f)| Some(f)).collect(),
            free_slots: Vec::new(),
            slot_of,
            index: SpherePoints::bulk_load(entries),
        };
        let mut current = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        *current = snapshot;
        self.recent().clear();
    }

    fn recent(&self) -> MutexGuard<'_, LruCache<i64, Arc<Facility>, foldhash::fast::RandomState>> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps facilities read from the database while the snapshot was at `revision`, unless
    /// a change has been applied since (it may have dropped them already).
    fn remember(&self, revision: i64, read: &[Arc<Facility>]) {
        let snapshot = self.read();
        if snapshot.revision == revision {
            let mut recent = self.recent();
            for f in read {
                recent.insert(f.id.0, Arc::clone(f));
            }
        }
    }

    fn apply(&self, revision: i64, changed: &[i64], current: Vec<(i64, Indexed)>) {
        let mut s = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let mut recent = self.recent();
        for &id in changed {
            s.remove(id);
            recent.remove(&id);
        }
        for (id, f) in current {
            s.insert(id, f);
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
        let current = self.counter(super::revision::Counter::Facilities).await?;
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
                let rows = self.indexed_by_ids(&ids).await?;
                self.cache.apply(current, &ids, rows);
            }
            None => {
                let all = self.indexed_all().await?;
                tracing::info!(facilities = all.len(), revision = current, "loaded all facilities");
                self.cache.replace(current, all);
            }
        }
        Ok(())
    }

    /// What the cache holds of the facilities with these ids that exist: only the columns
    /// searches read.
    async fn indexed_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<(i64, Indexed)>> {
        let mut loaded = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(LOAD_PAGE as usize) {
            let which = facility::Column::Id.is_in(chunk.iter().copied());
            let tags = facility_service::Column::FacilityId.is_in(chunk.iter().copied());
            loaded.extend(self.indexed_rows(which, None, |_, _| tags.clone()).await?);
        }
        Ok(loaded)
    }

    /// What the cache holds of every facility, a page at a time.
    async fn indexed_all(&self) -> StoreResult<Vec<(i64, Indexed)>> {
        let mut loaded = Vec::new();
        let mut after = i64::MIN;
        loop {
            let which = facility::Column::Id.gt(after);
            let tags = |first, last| facility_service::Column::FacilityId.between(first, last);
            let page = self.indexed_rows(which, Some(LOAD_PAGE), tags).await?;
            let full = page.len() as u64 == LOAD_PAGE;
            let Some(&(last, _)) = page.last() else {
                break;
            };
            loaded.extend(page);
            after = last;
            if !full {
                break;
            }
        }
        Ok(loaded)
    }

    /// What the cache holds of the facilities `which` selects (at most `limit`), in id order,
    /// with their service tags (of the facilities `tags` selects, given the first and last id).
    async fn indexed_rows(
        &self,
        which: SimpleExpr,
        limit: Option<u64>,
        tags: impl Fn(i64, i64) -> SimpleExpr,
    ) -> StoreResult<Vec<(i64, Indexed)>> {
        type Row = (i64, String, String, f64, f64, Option<String>, Option<String>);
        let rows: Vec<Row> = facility::Entity::find()
            .select_only()
            .columns([
                facility::Column::Id,
                facility::Column::Kind,
                facility::Column::Name,
                facility::Column::Lon,
                facility::Column::Lat,
                facility::Column::CommunityCode,
                facility::Column::OpeningHours,
            ])
            .filter(which)
            .order_by_asc(facility::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(self.conn())
            .await?;
        let (Some(first), Some(last)) = (rows.first().map(|r| r.0), rows.last().map(|r| r.0)) else {
            return Ok(Vec::new());
        };
        let mut services = self.service_tags(tags(first, last)).await?.into_iter().peekable();
        let mut loaded = Vec::with_capacity(rows.len());
        for (id, kind, name, lon, lat, code, hours) in rows {
            let kind = FacilityKind::from_code(&kind)
                .ok_or_else(|| super::StoreError::Corrupt(format!("facility {id} has unknown kind {kind:?}")))?;
            let mut tags = Vec::new();
            while services.peek().is_some_and(|(of, _)| *of < id) {
                services.next();
            }
            while let Some((_, tag)) = services.next_if(|(of, _)| *of == id) {
                tags.push(tag);
            }
            let indexed = Indexed {
                location: LonLat { lon, lat },
                kind,
                name: name.into(),
                community_code: stored_code(id, code.as_deref())?,
                opening_hours: hours.as_deref().map(interned::hours),
                services: (!tags.is_empty()).then(|| interned::tags(&tags)),
            };
            loaded.push((id, indexed));
        }
        Ok(loaded)
    }

    /// The service tags of the facilities `which` selects, by facility id and then in their
    /// order.
    async fn service_tags(&self, which: SimpleExpr) -> StoreResult<Vec<(i64, String)>> {
        Ok(facility_service::Entity::find()
            .select_only()
            .columns([facility_service::Column::FacilityId, facility_service::Column::Tag])
            .filter(which)
            .order_by_asc(facility_service::Column::FacilityId)
            .order_by_asc(facility_service::Column::Position)
            .into_tuple()
            .all(self.conn())
            .await?)
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
        let ranked = self.nearest_facility_locations(center, radius_m, limit, filter).await?;
        let ids: Vec<FacilityId> = ranked.iter().map(|r| r.id).collect();
        let full = self.facilities_by_position(&ids).await?;
        // A facility deleted since the search is left out.
        Ok(ranked.into_iter().zip(full).filter_map(|(r, f)| f.map(|f| (f, r.distance_m))).collect())
    }

    /// The facilities with these ids that exist, in the order of `ids`: the recently read ones
    /// from memory, the others from the database. As of the last revision check (every search
    /// makes one) or newer.
    pub async fn whole_facilities(&self, ids: &[FacilityId]) -> StoreResult<Vec<Arc<Facility>>> {
        Ok(self.facilities_by_position(ids).await?.into_iter().flatten().collect())
    }

    /// As `whole_facilities`, one entry per id (`None` where it does not exist), so that a
    /// search's hits need no map from id to facility.
    async fn facilities_by_position(&self, ids: &[FacilityId]) -> StoreResult<Vec<Option<Arc<Facility>>>> {
        let revision = self.cache.read().revision;
        let mut found: Vec<Option<Arc<Facility>>> = {
            let mut recent = self.cache.recent();
            ids.iter().map(|id| recent.get(&id.0).cloned()).collect()
        };
        let missing: Vec<FacilityId> = ids.iter().zip(&found).filter(|(_, f)| f.is_none()).map(|(id, _)| *id).collect();
        if !missing.is_empty() {
            let read: Vec<Arc<Facility>> = self.facilities_by_ids(&missing).await?.into_iter().map(Arc::new).collect();
            if read.len() <= RECENT_FACILITIES / 4 {
                self.cache.remember(revision, &read);
            }
            let mut read: HashMap<FacilityId, Arc<Facility>> = read.into_iter().map(|f| (f.id, f)).collect();
            for (id, slot) in ids.iter().zip(&mut found) {
                if slot.is_none() {
                    *slot = read.remove(id);
                }
            }
        }
        Ok(found)
    }

    /// As `nearest_facilities`, but only the ids and positions (nothing read from the
    /// database but the revision).
    pub async fn nearest_facility_locations(
        &self,
        center: LonLat,
        radius_m: Option<f64>,
        limit: usize,
        filter: &FacilityFilter,
    ) -> StoreResult<Vec<Located>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        let everything = *filter == FacilityFilter::default();
        let admitted = |e: &Entry| everything || snapshot.facility(e.slot).is_some_and(|f| f.passes(filter));
        // Nearest first on the sphere, so the search reads about `limit` facilities (plus the
        // ones the filter rejects) however many there are.
        let candidates =
            snapshot.index.nearest_first(center).filter(|(e, _, _)| admitted(e)).map(|(e, p, d)| (*e, p, d));
        Ok(nearest_by_geodesic(center, candidates, radius_m, limit)
            .into_iter()
            .filter_map(|r| {
                let location = snapshot.facility(r.id.slot)?.location;
                Some(Located { id: FacilityId(r.id.id), location, distance_m: r.distance_m })
            })
            .collect())
    }
}

/// A facility found by a search: its id, position and geodesic distance.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub id: FacilityId,
    pub location: LonLat,
    pub distance_m: f64,
}

impl Store {
    /// The facility revision the in-memory copy reflects, brought up to date first. Anything
    /// that bumps the revision in its transaction (facility writes, holiday calendars) is
    /// visible to a reader that sees a higher number.
    pub(super) async fn synced_revision(&self) -> StoreResult<i64> {
        self.sync_facilities().await?;
        Ok(self.cache.read().revision)
    }

    /// The facility with this id as of this call, or newer. Many callers at once (every
    /// subscriber of a change) share one revision check.
    pub async fn facility_current(&self, id: FacilityId) -> StoreResult<Option<Arc<Facility>>> {
        self.sync_facilities().await?;
        if !self.cache.read().slot_of.contains_key(&id.0) {
            return Ok(None);
        }
        Ok(self.whole_facilities(&[id]).await?.pop())
    }

    /// The positions of the facilities passing `filter` inside `bounds`, in id order, as of
    /// this call: read nearest first from the rectangle's center, so a district's question
    /// reads the district's facilities, not the province's.
    pub async fn facility_locations_within(&self, filter: &FacilityFilter, bounds: Bounds) -> StoreResult<Vec<LonLat>> {
        Ok(self.matching_within(filter, bounds).await?.into_iter().map(|(_, p)| p).collect())
    }

    /// The ids of the facilities passing `filter` inside `bounds`, in id order, as
    /// `facility_locations_within` finds them.
    pub async fn facility_ids_within(&self, filter: &FacilityFilter, bounds: Bounds) -> StoreResult<Vec<FacilityId>> {
        Ok(self.matching_within(filter, bounds).await?.into_iter().map(|(id, _)| FacilityId(id)).collect())
    }

    async fn matching_within(&self, filter: &FacilityFilter, bounds: Bounds) -> StoreResult<Vec<(i64, LonLat)>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        let radius = bounds.radius_m();
        let mut matching: Vec<(i64, LonLat)> = snapshot
            .index
            .nearest_first(bounds.center())
            .take_while(|(_, _, d)| *d <= radius)
            .filter(|(_, p, _)| bounds.contains(*p))
            .filter(|(e, _, _)| snapshot.facility(e.slot).is_some_and(|f| f.passes(filter)))
            .map(|(e, p, _)| (e.id, p))
            .collect();
        matching.sort_unstable_by_key(|(id, _)| *id);
        Ok(matching)
    }

    /// What a map tile draws of every facility passing `filter` within `bounds`, in id order.
    pub async fn facility_marks_within(
        &self,
        filter: &FacilityFilter,
        bounds: Bounds,
    ) -> StoreResult<Vec<FacilityMark>> {
        self.sync_facilities().await?;
        let snapshot = self.cache.read();
        let radius = bounds.radius_m();
        let mut marks: Vec<FacilityMark> = snapshot
            .index
            .nearest_first(bounds.center())
            .take_while(|(_, _, d)| *d <= radius)
            .filter(|(_, p, _)| bounds.contains(*p))
            .filter_map(|(e, p, _)| {
                let f = snapshot.facility(e.slot).filter(|f| f.passes(filter))?;
                Some(FacilityMark { id: FacilityId(e.id), location: p, kind: f.kind, name: Arc::clone(&f.name) })
            })
            .collect();
        marks.sort_unstable_by_key(|m| m.id.0);
        Ok(marks)
    }

    /// The positions of every facility passing `filter`, in id order, as of this call.
    pub async fn facility_locations(&self, filter: &FacilityFilter) -> StoreResult<Vec<LonLat>> {
        self.sync_facilities().await?;
        Ok(self.cache.read().matching(filter).into_iter().map(|(_, p)| p).collect())
    }

    /// The ids of every facility passing `filter`, in id order, as of this call.
    pub async fn facility_ids_matching(&self, filter: &FacilityFilter) -> StoreResult<Vec<FacilityId>> {
        self.sync_facilities().await?;
        Ok(self.cache.read().matching(filter).into_iter().map(|(id, _)| FacilityId(id)).collect())
    }

    /// Every facility passing `filter`, in id order, as of this call (read from the database),
    /// or `Err(count)` when more than `at_most` pass it (nothing is read then).
    pub async fn facilities_matching(
        &self,
        filter: &FacilityFilter,
        at_most: usize,
    ) -> StoreResult<Result<Vec<Arc<Facility>>, usize>> {
        let ids = self.facility_ids_matching(filter).await?;
        if ids.len() > at_most {
            return Ok(Err(ids.len()));
        }
        Ok(Ok(self.facilities_by_ids(&ids).await?.into_iter().map(Arc::new).collect()))
    }
}
