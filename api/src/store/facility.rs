//! Facility rows: reads, keyset pages, bounding-box candidates and versioned writes.

use super::changes::{ChangeKind, FacilityChange};
use super::facility_cache::record_change;
use super::{RevisionAction, Store, StoreError, StoreResult, history, interned, stored_code};
use crate::domain::facility::{Facility, FacilityDraft, FacilityFields, FacilityFilter, FacilityKind};
use crate::domain::ids::FacilityId;
use chrono::{SubsecRound, Utc};
use entity::{facility, facility_service};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;

/// Facilities read per query when loading them all (under the IN-list size `hydrate` uses).
const LOAD_PAGE: u64 = 4_000;

impl Store {
    pub async fn facility(&self, id: FacilityId) -> StoreResult<Option<Facility>> {
        Ok(self.facilities_by_ids(&[id]).await?.into_iter().next())
    }

    /// The facilities with these ids that exist, in the order of `ids`.
    pub async fn facilities_by_ids(&self, ids: &[FacilityId]) -> StoreResult<Vec<Facility>> {
        by_ids(self.conn(), ids).await
    }

    /// Up to `first` facilities after the id `after`, in id order, and whether more follow.
    pub async fn facility_page(
        &self,
        filter: &FacilityFilter,
        after: Option<i64>,
        first: u64,
    ) -> StoreResult<(Vec<Facility>, bool)> {
        if filter.open_at.is_some() {
            let matching = self.facility_ids_matching(filter).await?;
            let start = after.map_or(0, |after| matching.partition_point(|id| id.0 <= after));
            let end = matching.len().min(start.saturating_add(first as usize));
            let page = self.facilities_by_ids(&matching[start..end]).await?;
            return Ok((page, end < matching.len()));
        }
        let mut query = facility::Entity::find().filter(filter_condition(filter));
        if let Some(after) = after {
            query = query.filter(facility::Column::Id.gt(after));
        }
        let mut rows = query.order_by_asc(facility::Column::Id).limit(first + 1).all(self.conn()).await?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Ok((hydrate(self.conn(), rows).await?, has_next))
    }

    /// Every facility, in id order, read a page at a time: the rows of one page are decoded
    /// and dropped before the next is read, so loading a province's facilities does not first
    /// hold all of them twice (rows and facilities), which left the heap fragmented.
    pub async fn all_facilities(&self) -> StoreResult<Vec<Facility>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let mut query = facility::Entity::find();
            if let Some(after) = after {
                query = query.filter(facility::Column::Id.gt(after));
            }
            let rows = query.order_by_asc(facility::Column::Id).limit(LOAD_PAGE).all(self.conn()).await?;
            let full = rows.len() as u64 == LOAD_PAGE;
            let page = hydrate(self.conn(), rows).await?;
            after = page.last().map(|f| f.id.0);
            all.extend(page);
            if !full {
                return Ok(all);
            }
        }
    }

    pub async fn count_facilities(&self, filter: &FacilityFilter) -> StoreResult<u64> {
        if filter.open_at.is_some() {
            return Ok(self.facility_ids_matching(filter).await?.len() as u64);
        }
        Ok(facility::Entity::find().filter(filter_condition(filter)).count(self.conn()).await?)
    }

    pub async fn create_facility(&self, draft: FacilityDraft, actor: &str) -> StoreResult<Facility> {
        let mut created = self.create_facilities(vec![draft], actor).await?;
        created.pop().ok_or_else(|| StoreError::Corrupt("insert returned nothing".into()))
    }

    /// Inserts all the facilities in one transaction: all of them or none.
    pub async fn create_facilities(&self, drafts: Vec<FacilityDraft>, actor: &str) -> StoreResult<Vec<Facility>> {
        let now = Utc::now().trunc_subsecs(6);
        let txn = self.conn_begin().await?;
        let mut created = Vec::with_capacity(drafts.len());
        for draft in drafts {
            created.push(insert_new(&txn, draft, actor, now).await?);
        }
        record_change(&txn, &created.iter().map(|f| f.id.0).collect::<Vec<_>>()).await?;
        let changes = created.iter().map(|f| change(ChangeKind::Created, f.id, 1, now)).collect();
        self.commit_announcing(txn, changes).await?;
        tracing::debug!(count = created.len(), actor, "facilities created");
        Ok(created)
    }

    /// Changes the given fields if `version` is current; the previous state goes to history.
    pub async fn update_facility(
        &self,
        id: FacilityId,
        version: i32,
        fields: FacilityFields,
        actor: &str,
    ) -> StoreResult<Facility> {
        let current = self.current_version(id, version).await?;
        let draft = fields.apply_to(current.draft.clone())?;
        // Nothing changes: no new version, no history entry, no event. The caller's version
        // was checked, so a stale no-op is still a CONFLICT.
        if draft == current.draft {
            return Ok(current);
        }
        self.overwrite(current, draft, actor, ChangeKind::Updated).await
    }

    /// Writes `draft` over `current` if that is still the stored version.
    async fn overwrite(
        &self,
        current: Facility,
        draft: FacilityDraft,
        actor: &str,
        kind: ChangeKind,
    ) -> StoreResult<Facility> {
        let (id, version) = (current.id, current.version);
        let now = Utc::now().trunc_subsecs(6);
        let txn = self.conn_begin().await?;
        if let Err(e) = update_in(&txn, &current, &draft, actor, now).await {
            txn.rollback().await?;
            return Err(match e {
                StoreError::StaleVersion { .. } => self.why_not_current(id, version).await,
                other => other,
            });
        }
        record_change(&txn, &[id.0]).await?;
        self.commit_announcing(txn, vec![change(kind, id, version + 1, now)]).await?;
        tracing::debug!(facility = id.0, version = version + 1, actor, "facility updated");
        Ok(Facility {
            id,
            draft,
            version: version + 1,
            created_at: current.created_at,
            updated_at: now,
            created_by: current.created_by,
            updated_by: Some(interned::author(actor)),
        })
    }

    /// Creates and updates many facilities in one transaction: all of them or none. Each
    /// update replaces `current` (which must still be the stored version) by its draft.
    pub async fn import_facilities(
        &self,
        creates: Vec<FacilityDraft>,
        updates: Vec<(Facility, FacilityDraft)>,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<(usize, usize)> {
        let mut import = self.begin_facility_import(actor).await?;
        import.write(creates, updates, progress).await?;
        import.commit().await
    }

    /// An import written batch by batch in one transaction: nothing is visible until
    /// `commit`, and dropping it (an error, a killed process) writes nothing.
    pub async fn begin_facility_import(&self, actor: &str) -> StoreResult<FacilityImport> {
        Ok(FacilityImport {
            store: self.clone(),
            txn: self.conn_begin().await?,
            actor: actor.to_owned(),
            now: Utc::now().trunc_subsecs(6),
            touched: Vec::new(),
            changes: Vec::new(),
            created: 0,
            updated: 0,
        })
    }

    /// Deletes the facility if `version` is current; it stays readable in history.
    pub async fn delete_facility(&self, id: FacilityId, version: i32, actor: &str) -> StoreResult<()> {
        let current = self.current_version(id, version).await?;
        let now = Utc::now().trunc_subsecs(6);
        let txn = self.conn_begin().await?;
        let deleted = facility::Entity::delete_many()
            .filter(facility::Column::Id.eq(id.0))
            .filter(facility::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        if deleted.rows_affected != 1 {
            txn.rollback().await?;
            return Err(self.why_not_current(id, version).await);
        }
        facility_service::Entity::delete_many()
            .filter(facility_service::Column::FacilityId.eq(id.0))
            .exec(&txn)
            .await?;
        history::record(&txn, &current, RevisionAction::Delete, actor, now).await?;
        record_change(&txn, &[id.0]).await?;
        self.commit_announcing(txn, vec![change(ChangeKind::Deleted, id, version, now)]).await?;
        tracing::debug!(facility = id.0, version, actor, "facility deleted");
        Ok(())
    }

    /// Brings back the recorded state of a facility that had version `to_version`. A deleted
    /// facility is inserted again under its id (`version` must be None); an existing one is
    /// overwritten if `version` is its current version, its state going to history. Either way
    /// the result has a version above every earlier one.
    pub async fn restore_facility(
        &self,
        id: FacilityId,
        to_version: i32,
        version: Option<i32>,
        actor: &str,
    ) -> StoreResult<Facility> {
        let history = self.facility_history(id).await?;
        let state = history
            .iter()
            .find(|r| r.facility.version == to_version)
            .ok_or(StoreError::NoSuchRevision(to_version))?
            .facility
            .clone();
        match (self.facility(id).await?, version) {
            (Some(current), Some(v)) if current.version == v => {
                self.overwrite(current, state.draft, actor, ChangeKind::Restored).await
            }
            (Some(current), Some(v)) => Err(StoreError::StaleVersion { given: v, current: current.version }),
            (Some(current), None) => Err(StoreError::Conflict(format!(
                "the facility exists (version {}): give its current version to overwrite it",
                current.version
            ))),
            (None, Some(_)) => {
                Err(StoreError::Conflict("the facility is deleted: restore it without a version".into()))
            }
            (None, None) => {
                let newest = history.iter().map(|r| r.facility.version).max().unwrap_or(to_version);
                let now = Utc::now().trunc_subsecs(6);
                let txn = self.conn_begin().await?;
                let mut row = active_model(&state.draft);
                row.id = Set(id.0);
                row.version = Set(newest + 1);
                row.created_at = Set(state.created_at);
                row.updated_at = Set(now);
                row.created_by = Set(state.created_by.as_deref().map(str::to_owned));
                row.updated_by = Set(Some(actor.to_owned()));
                if let Err(e) = facility::Entity::insert(row).exec_without_returning(&txn).await {
                    txn.rollback().await?;
                    return Err(match e.sql_err() {
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                            StoreError::Conflict("the facility was restored concurrently".into())
                        }
                        _ => e.into(),
                    });
                }
                insert_services(&txn, id.0, &state.draft.services).await?;
                record_change(&txn, &[id.0]).await?;
                self.commit_announcing(txn, vec![change(ChangeKind::Restored, id, newest + 1, now)]).await?;
                tracing::info!(facility = id.0, to_version, version = newest + 1, actor, "deleted facility restored");
                Ok(Facility {
                    id,
                    draft: state.draft,
                    version: newest + 1,
                    created_at: state.created_at,
                    updated_at: now,
                    created_by: state.created_by,
                    updated_by: Some(interned::author(actor)),
                })
            }
        }
    }

    async fn current_version(&self, id: FacilityId, version: i32) -> StoreResult<Facility> {
        let current = self.facility(id).await?.ok_or(StoreError::NotFound)?;
        if current.version != version {
            return Err(StoreError::StaleVersion { given: version, current: current.version });
        }
        Ok(current)
    }

    /// After a versioned write matched no row: was the facility deleted, or changed?
    async fn why_not_current(&self, id: FacilityId, version: i32) -> StoreError {
        match self.current_version(id, version).await {
            Err(e) => e,
            Ok(_) => StoreError::StaleVersion { given: version, current: version + 1 },
        }
    }

    async fn conn_begin(&self) -> StoreResult<sea_orm::DatabaseTransaction> {
        Ok(self.db.begin().await?)
    }
}

fn change(kind: ChangeKind, id: FacilityId, version: i32, at: chrono::DateTime<Utc>) -> FacilityChange {
    FacilityChange { kind, id: id.0, version, at }
}

/// Inserts a new facility at version 1 with its service tags.
async fn insert_new(
    txn: &impl ConnectionTrait,
    draft: FacilityDraft,
    actor: &str,
    now: chrono::DateTime<Utc>,
) -> StoreResult<Facility> {
    let mut row = active_model(&draft);
    row.version = Set(1);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    row.created_by = Set(Some(actor.to_owned()));
    row.updated_by = Set(Some(actor.to_owned()));
    let saved = row.insert(txn).await?;
    insert_services(txn, saved.id, &draft.services).await?;
    Ok(Facility {
        id: FacilityId(saved.id),
        draft,
        version: 1,
        created_at: now,
        updated_at: now,
        created_by: Some(interned::author(actor)),
        updated_by: Some(interned::author(actor)),
    })
}

/// Writes `draft` over `current` if the stored version is still `current.version` (else
/// `StaleVersion`), keeping `current` in history. The caller records the change and commits.
async fn update_in(
    txn: &impl ConnectionTrait,
    current: &Facility,
    draft: &FacilityDraft,
    actor: &str,
    now: chrono::DateTime<Utc>,
) -> StoreResult<()> {
    let mut row = active_model(draft);
    row.version = Set(current.version + 1);
    row.updated_at = Set(now);
    row.updated_by = Set(Some(actor.to_owned()));
    // The version condition makes the caller's read and this write one atomic step: a
    // concurrent writer makes this match nothing instead of being overwritten.
    let updated = facility::Entity::update_many()
        .set(row)
        .filter(facility::Column::Id.eq(current.id.0))
        .filter(facility::Column::Version.eq(current.version))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(StoreError::StaleVersion { given: current.version, current: current.version + 1 });
    }
    history::record(txn, current, RevisionAction::Update, actor, now).await?;
    if draft.services != current.draft.services {
        facility_service::Entity::delete_many()
            .filter(facility_service::Column::FacilityId.eq(current.id.0))
            .exec(txn)
            .await?;
        insert_services(txn, current.id.0, &draft.services).await?;
    }
    Ok(())
}

fn filter_condition(filter: &FacilityFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(kinds) = filter.admitted_kinds() {
        condition = condition.add(facility::Column::Kind.is_in(kinds.iter().map(|k| k.code())));
    }
    for tag in &filter.services {
        let offering = Query::select()
            .column(facility_service::Column::FacilityId)
            .from(facility_service::Entity)
            .and_where(facility_service::Column::Tag.eq(tag.as_str()))
            .to_owned();
        condition = condition.add(facility::Column::Id.in_subquery(offering));
    }
    if let Some(prefix) = &filter.community_code_prefix {
        // Prefixes are digits only, so LIKE needs no escaping.
        condition = condition.add(facility::Column::CommunityCode.starts_with(prefix.as_str()));
    }
    condition
}

fn active_model(draft: &FacilityDraft) -> facility::ActiveModel {
    facility::ActiveModel {
        id: NotSet,
        kind: Set(draft.kind.code().to_owned()),
        name: Set(draft.name.clone()),
        address: Set(draft.address.clone()),
        lon: Set(draft.lon),
        lat: Set(draft.lat),
        community_code: Set(draft.community_code.map(|c| c.to_string())),
        opening_hours: Set(draft.opening_hours.clone()),
        phone: Set(draft.phone.clone()),
        capacity: Set(draft.capacity),
        details: Set(draft.details.as_ref().and_then(|d| serde_json::to_string(d).ok())),
        version: NotSet,
        created_at: NotSet,
        updated_at: NotSet,
        created_by: NotSet,
        updated_by: NotSet,
    }
}

async fn insert_services(conn: &impl ConnectionTrait, facility_id: i64, services: &[String]) -> StoreResult<()> {
    if services.is_empty() {
        return Ok(());
    }
    let rows = services.iter().enumerate().map(|(position, tag)| facility_service::ActiveModel {
        facility_id: Set(facility_id),
        tag: Set(tag.clone()),
        position: Set(position as i32),
    });
    facility_service::Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// Rows plus their service tags, as domain facilities.
/// The facilities with these ids that exist, in the order of `ids`, as `conn` sees them.
async fn by_ids(conn: &impl ConnectionTrait, ids: &[FacilityId]) -> StoreResult<Vec<Facility>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Chunks keep the IN lists under every backend's parameter limit.
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        rows.extend(
            facility::Entity::find().filter(facility::Column::Id.is_in(chunk.iter().map(|id| id.0))).all(conn).await?,
        );
    }
    let mut by_id: HashMap<i64, Facility> = hydrate(conn, rows).await?.into_iter().map(|f| (f.id.0, f)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(&id.0)).collect())
}

async fn hydrate(conn: &impl ConnectionTrait, rows: Vec<facility::Model>) -> StoreResult<Vec<Facility>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut services: HashMap<i64, Vec<String>> = HashMap::new();
    if !ids.is_empty() {
        let mut tags = facility_service::Entity::find();
        // Beyond a few thousand ids an IN list costs more than reading every tag (and can hit
        // the backends' parameter limits).
        if ids.len() <= 5_000 {
            tags = tags.filter(facility_service::Column::FacilityId.is_in(ids));
        }
        let tags = tags
            .order_by_asc(facility_service::Column::FacilityId)
            .order_by_asc(facility_service::Column::Position)
            .all(conn)
            .await?;
        for t in tags {
            services.entry(t.facility_id).or_default().push(t.tag);
        }
    }
    rows.into_iter()
        .map(|row| {
            let tags = services.remove(&row.id).unwrap_or_default();
            to_domain(row, tags)
        })
        .collect()
}

fn to_domain(row: facility::Model, services: Vec<String>) -> StoreResult<Facility> {
    let kind = FacilityKind::from_code(&row.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("facility {} has unknown kind {:?}", row.id, row.kind)))?;
    let details = row
        .details
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("facility {} details: {e}", row.id)))?;
    Ok(Facility {
        id: FacilityId(row.id),
        draft: FacilityDraft {
            kind,
            name: row.name,
            address: row.address,
            lon: row.lon,
            lat: row.lat,
            community_code: stored_code(row.id, row.community_code.as_deref())?,
            opening_hours: row.opening_hours,
            phone: row.phone,
            capacity: row.capacity,
            services,
            details,
        },
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        created_by: row.created_by.as_deref().map(interned::author),
        updated_by: row.updated_by.as_deref().map(interned::author),
    })
}

/// A facility import in progress (see `Store::begin_facility_import`).
pub struct FacilityImport {
    store: Store,
    txn: sea_orm::DatabaseTransaction,
    actor: String,
    now: chrono::DateTime<Utc>,
    touched: Vec<i64>,
    changes: Vec<FacilityChange>,
    created: usize,
    updated: usize,
}

impl FacilityImport {
    /// The facilities with these ids as this import sees them (its own writes included).
    pub async fn current(&self, ids: &[FacilityId]) -> StoreResult<Vec<Facility>> {
        by_ids(&self.txn, ids).await
    }

    /// Writes one batch: creates, then updates of `current` (as stored) to their drafts.
    pub async fn write(
        &mut self,
        creates: Vec<FacilityDraft>,
        updates: Vec<(Facility, FacilityDraft)>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<()> {
        for draft in creates {
            let id = insert_new(&self.txn, draft, &self.actor, self.now).await?.id;
            self.touched.push(id.0);
            self.changes.push(change(ChangeKind::Created, id, 1, self.now));
            self.created += 1;
            progress(1);
        }
        for (current, draft) in &updates {
            update_in(&self.txn, current, draft, &self.actor, self.now).await?;
            self.touched.push(current.id.0);
            self.changes.push(change(ChangeKind::Updated, current.id, current.version + 1, self.now));
            self.updated += 1;
            progress(1);
        }
        Ok(())
    }

    /// Makes every batch visible at once; how many were created and updated.
    pub async fn commit(self) -> StoreResult<(usize, usize)> {
        let Self { store, txn, actor, touched, changes, created, updated, .. } = self;
        record_change(&txn, &touched).await?;
        store.commit_announcing(txn, changes).await?;
        tracing::info!(created, updated, actor, "facilities imported");
        Ok((created, updated))
    }
}
