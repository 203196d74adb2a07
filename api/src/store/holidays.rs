//! Loaded public-holiday calendars.

use super::facility_cache::record_change;
use super::{Store, StoreError, StoreResult};
use crate::domain::hours::{CalendarDay, HolidayCalendar};
use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc, Weekday};
use entity::{holiday_calendar_day, holiday_calendar_year};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::sync::{Arc, Mutex, PoisonError};

const DAY_OFF: &str = "DAY_OFF";
const WORKING_DAY: &str = "WORKING_DAY";

/// Who loaded a year's calendar, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarLoad {
    pub loaded_at: DateTime<Utc>,
    pub loaded_by: String,
}

/// The calendar last read, and the facility revision it was read at.
#[derive(Debug, Default)]
pub(super) struct CalendarCache(Mutex<Option<(i64, Arc<HolidayCalendar>)>>);

impl Store {
    /// The calendar, read again only when the facility revision moved since the last read (a
    /// calendar load bumps it, in any process): one shared revision check per request instead
    /// of two table reads.
    pub async fn current_holiday_calendar(&self) -> StoreResult<Arc<HolidayCalendar>> {
        let revision = self.synced_revision().await?;
        let cached = self.calendar.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some((read_at, calendar)) = cached
            && read_at == revision
        {
            return Ok(calendar);
        }
        // Read after the revision: at worst newer than `revision`, so it is read again next time.
        let calendar = Arc::new(self.holiday_calendar().await?);
        *self.calendar.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((revision, Arc::clone(&calendar)));
        Ok(calendar)
    }

    /// Every loaded year with its days.
    pub async fn holiday_calendar(&self) -> StoreResult<HolidayCalendar> {
        let years = holiday_calendar_year::Entity::find().all(self.conn()).await?;
        let days = holiday_calendar_day::Entity::find().all(self.conn()).await?;
        let days = days.into_iter().map(to_domain).collect::<StoreResult<Vec<_>>>()?;
        Ok(HolidayCalendar::new(years.into_iter().map(|y| y.year), days))
    }

    pub async fn holiday_calendar_load(&self, year: i32) -> StoreResult<Option<CalendarLoad>> {
        let row = holiday_calendar_year::Entity::find_by_id(year).one(self.conn()).await?;
        Ok(row.map(|r| CalendarLoad { loaded_at: r.loaded_at, loaded_by: r.loaded_by }))
    }

    /// Replaces the calendar of `year` with `days` (all of which fall in it), in one transaction.
    pub async fn load_holiday_calendar(
        &self,
        year: i32,
        days: &[(NaiveDate, CalendarDay)],
        actor: &str,
    ) -> StoreResult<CalendarLoad> {
        let txn = self.db.begin().await?;
        holiday_calendar_day::Entity::delete_many()
            .filter(holiday_calendar_day::Column::Year.eq(year))
            .exec(&txn)
            .await?;
        holiday_calendar_year::Entity::delete_by_id(year).exec(&txn).await?;
        let load = CalendarLoad { loaded_at: Utc::now().trunc_subsecs(6), loaded_by: actor.to_owned() };
        let inserted = holiday_calendar_year::Entity::insert(holiday_calendar_year::ActiveModel {
            year: Set(year),
            loaded_at: Set(load.loaded_at),
            loaded_by: Set(load.loaded_by.clone()),
        })
        .exec(&txn)
        .await;
        if let Err(e) = inserted {
            txn.rollback().await?;
            return Err(match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    StoreError::Conflict(format!("the {year} calendar was loaded concurrently; load it again"))
                }
                _ => e.into(),
            });
        }
        let rows = days.iter().map(|(date, day)| {
            let (kind, name, as_weekday) = match day {
                CalendarDay::DayOff { name } => (DAY_OFF, name.clone(), None),
                CalendarDay::WorkingDay { name, as_weekday } => {
                    (WORKING_DAY, name.clone(), Some(as_weekday.num_days_from_monday() as i16))
                }
            };
            holiday_calendar_day::ActiveModel {
                day: Set(*date),
                year: Set(date.year()),
                kind: Set(kind.to_owned()),
                name: Set(name),
                as_weekday: Set(as_weekday),
            }
        });
        if !days.is_empty() {
            holiday_calendar_day::Entity::insert_many(rows).exec(&txn).await?;
        }
        // Every process reuses its calendar until the revision moves (see `current_holiday_calendar`).
        record_change(&txn, &[]).await?;
        txn.commit().await?;
        Ok(load)
    }
}

fn to_domain(row: holiday_calendar_day::Model) -> StoreResult<(NaiveDate, CalendarDay)> {
    let day = match (row.kind.as_str(), row.as_weekday) {
        (DAY_OFF, _) => CalendarDay::DayOff { name: row.name },
        (WORKING_DAY, Some(n)) => {
            let as_weekday = u8::try_from(n)
                .ok()
                .and_then(|n| Weekday::try_from(n).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("weekday {n} on {}", row.day)))?;
            CalendarDay::WorkingDay { name: row.name, as_weekday }
        }
        (kind, _) => return Err(StoreError::Corrupt(format!("calendar day kind {kind:?} on {}", row.day))),
    };
    Ok((row.day, day))
}
