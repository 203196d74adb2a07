//! Bulk imports from GeoJSON features, a batch at a time into one transaction: every feature
//! is checked on its own, the accepted ones are written together, the rejected ones come back
//! with their index and reason. Nothing is half-written.
//!
//! A feature becomes a row through a reader the caller passes: the API reads properties with
//! the same input types as its single-row mutations (so a property has its field's name and
//! rules, declared once), and every caller, the CLI included, uses those readers.

use crate::domain::Invalid;
use crate::domain::facility::{Facility, FacilityDraft, FacilityFields};
use crate::domain::ids::FacilityId;
use crate::domain::residents::ResidentialAreaDraft;
use crate::error::ApiResult;
use crate::store::{AreaImport, FacilityImport, Store};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

/// The most features one collection may hold (files given to the CLI stream in batches and
/// have no limit).
pub const MAX_IMPORT_FEATURES: usize = 200_000;

/// What an import wrote and what it refused.
#[derive(Debug, Default, PartialEq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// By index.
    pub rejected: Vec<Rejection>,
}

/// A feature left out, by its index in the input, and why.
#[derive(Debug, PartialEq)]
pub struct Rejection {
    pub index: usize,
    pub reason: String,
}

/// A feature read as a facility: a new one, or fields to change on an existing one.
pub enum FacilityRow {
    Create(FacilityDraft),
    Update(FacilityId, Box<FacilityFields>),
}

/// Reads one feature into a facility row, or says why it cannot.
pub type FacilityReader = fn(&Json) -> Result<FacilityRow, String>;

/// Reads one feature into a residential area and its stored boundary (GeoJSON text), or says
/// why it cannot.
pub type AreaReader = fn(&Json) -> Result<(ResidentialAreaDraft, Option<String>), String>;

/// The features of a GeoJSON FeatureCollection.
pub fn features(collection: &Json) -> Result<&Vec<Json>, Invalid> {
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

/// Imports a whole collection of facilities.
pub async fn import_facilities(
    store: &Store,
    read: FacilityReader,
    collection: &Json,
    actor: &str,
) -> ApiResult<ImportReport> {
    let features = features(collection)?;
    let mut import = FacilityBatches::begin(store, read, actor).await?;
    import.add(features, &|_| ()).await?;
    import.finish().await
}

/// Imports a whole collection of residential areas.
pub async fn import_residential_areas(
    store: &Store,
    read: AreaReader,
    collection: &Json,
    actor: &str,
) -> ApiResult<ImportReport> {
    let features = features(collection)?;
    let mut import = AreaBatches::begin(store, read, actor).await?;
    import.add(features, &|_| ()).await?;
    import.finish().await
}

/// A facility import fed a batch at a time.
pub struct FacilityBatches {
    import: FacilityImport,
    read: FacilityReader,
    /// Facilities updated so far: a second update of one in the same import is refused.
    seen: HashSet<FacilityId>,
    rejected: Vec<Rejection>,
    /// Index of the next feature.
    next: usize,
}

impl FacilityBatches {
    pub async fn begin(store: &Store, read: FacilityReader, actor: &str) -> ApiResult<Self> {
        Ok(Self {
            import: store.begin_facility_import(actor).await?,
            read,
            seen: HashSet::new(),
            rejected: Vec::new(),
            next: 0,
        })
    }

    /// Checks and writes the next features (inside the import's transaction).
    pub async fn add(&mut self, features: &[Json], progress: &(dyn Fn(u64) + Sync)) -> ApiResult<()> {
        let mut creates = Vec::new();
        let mut pending_updates = Vec::new();
        for (offset, feature) in features.iter().enumerate() {
            let index = self.next + offset;
            match (self.read)(feature) {
                Ok(FacilityRow::Create(draft)) => creates.push(draft),
                Ok(FacilityRow::Update(id, fields)) => pending_updates.push((index, id, fields)),
                Err(reason) => self.rejected.push(Rejection { index, reason }),
            }
        }
        self.next += features.len();
        let ids: Vec<FacilityId> = pending_updates.iter().map(|(_, id, _)| *id).collect();
        let mut current: HashMap<FacilityId, Facility> =
            self.import.current(&ids).await?.into_iter().map(|f| (f.id, f)).collect();
        let mut updates = Vec::new();
        for (index, id, fields) in pending_updates {
            let reject = |reason: String| Rejection { index, reason };
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

    /// Commits everything accepted.
    pub async fn finish(self) -> ApiResult<ImportReport> {
        let mut rejected = self.rejected;
        rejected.sort_by_key(|r| r.index);
        let (created, updated) = self.import.commit().await?;
        Ok(ImportReport { created, updated, rejected })
    }
}

/// A residential-area import fed a batch at a time.
pub struct AreaBatches {
    import: AreaImport,
    read: AreaReader,
    rejected: Vec<Rejection>,
    next: usize,
}

impl AreaBatches {
    pub async fn begin(store: &Store, read: AreaReader, actor: &str) -> ApiResult<Self> {
        Ok(Self { import: store.begin_area_import(actor).await?, read, rejected: Vec::new(), next: 0 })
    }

    /// Checks and writes the next features (inside the import's transaction).
    pub async fn add(&mut self, features: &[Json], progress: &(dyn Fn(u64) + Sync)) -> ApiResult<()> {
        let mut rows = Vec::new();
        for (offset, feature) in features.iter().enumerate() {
            match (self.read)(feature) {
                Ok(row) => rows.push(row),
                Err(reason) => self.rejected.push(Rejection { index: self.next + offset, reason }),
            }
        }
        self.next += features.len();
        Ok(self.import.write(rows, progress).await?)
    }

    /// Commits everything accepted.
    pub async fn finish(self) -> ApiResult<ImportReport> {
        let created = self.import.commit().await?;
        Ok(ImportReport { created, updated: 0, rejected: self.rejected })
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

    pub async fn finish(self) -> ApiResult<ImportReport> {
        match self {
            Self::Facilities(import) => import.finish().await,
            Self::Areas(import) => import.finish().await,
        }
    }
}
