//! Residential-area rows.

use super::area_cache::next_revision;
use super::{Store, StoreResult};
use crate::domain::ids::ResidentialAreaId;
use crate::domain::residents::{ResidentialArea, ResidentialAreaDraft};
use crate::geo::LonLat;
use chrono::{DateTime, SubsecRound, Utc};
use entity::residential_area;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait,
};

impl Store {
    pub async fn create_residential_area(
        &self,
        draft: ResidentialAreaDraft,
        actor: &str,
    ) -> StoreResult<ResidentialArea> {
        let txn = self.db.begin().await?;
        let revision = next_revision(&txn).await?;
        let area = insert_area(&txn, draft, None, actor, Utc::now().trunc_subsecs(6), revision).await?;
        txn.commit().await?;
        Ok(area)
    }

    /// Inserts all the areas in one transaction: all of them or none. Each comes with the
    /// GeoJSON outline it was given as, if it was a polygon.
    pub async fn import_residential_areas(
        &self,
        areas: Vec<(ResidentialAreaDraft, Option<String>)>,
        actor: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<usize> {
        let mut import = self.begin_area_import(actor).await?;
        import.write(areas, progress).await?;
        import.commit().await
    }

    /// An import written batch by batch in one transaction: nothing is visible until
    /// `commit`, and dropping it writes nothing.
    pub async fn begin_area_import(&self, actor: &str) -> StoreResult<AreaImport> {
        let txn = self.db.begin().await?;
        let revision = next_revision(&txn).await?;
        Ok(AreaImport { txn, revision, actor: actor.to_owned(), now: Utc::now().trunc_subsecs(6), count: 0 })
    }

    pub async fn residential_area(&self, id: ResidentialAreaId) -> StoreResult<Option<ResidentialArea>> {
        residential_area::Entity::find_by_id(id.0).one(self.conn()).await?.map(to_domain).transpose()
    }
}

async fn insert_area(
    conn: &impl ConnectionTrait,
    draft: ResidentialAreaDraft,
    boundary: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
    revision: i64,
) -> StoreResult<ResidentialArea> {
    let saved = residential_area::ActiveModel {
        id: NotSet,
        name: Set(draft.name.clone()),
        lon: Set(draft.location.lon),
        lat: Set(draft.location.lat),
        population: Set(draft.population),
        elderly_population: Set(draft.elderly_population),
        community_code: Set(draft.community_code.map(|c| c.to_string())),
        boundary: Set(boundary),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(actor.to_owned())),
        revision: Set(revision),
    }
    .insert(conn)
    .await?;
    Ok(ResidentialArea {
        id: ResidentialAreaId(saved.id),
        draft,
        created_at: now,
        updated_at: now,
        created_by: Some(super::interned::author(actor)),
    })
}

pub(super) fn to_domain(row: residential_area::Model) -> StoreResult<ResidentialArea> {
    Ok(ResidentialArea {
        id: ResidentialAreaId(row.id),
        draft: ResidentialAreaDraft {
            name: row.name,
            location: LonLat { lon: row.lon, lat: row.lat },
            population: row.population,
            elderly_population: row.elderly_population,
            community_code: super::stored_code(row.id, row.community_code.as_deref())?,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
        created_by: row.created_by.as_deref().map(super::interned::author),
    })
}

/// A residential-area import in progress (see `Store::begin_area_import`).
pub struct AreaImport {
    txn: sea_orm::DatabaseTransaction,
    revision: i64,
    actor: String,
    now: DateTime<Utc>,
    count: usize,
}

impl AreaImport {
    pub async fn write(
        &mut self,
        areas: Vec<(ResidentialAreaDraft, Option<String>)>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<()> {
        for (draft, boundary) in areas {
            insert_area(&self.txn, draft, boundary, &self.actor, self.now, self.revision).await?;
            self.count += 1;
            progress(1);
        }
        Ok(())
    }

    /// Makes every batch visible at once; how many areas were created.
    pub async fn commit(self) -> StoreResult<usize> {
        self.txn.commit().await?;
        Ok(self.count)
    }
}
