//! Opening hours in the API: `Facility.isOpen`, the `openAt` filter's instant, and the
//! admin-loaded public-holiday calendar (days off and make-up working days).

use super::{reading, require, store};
use crate::domain::Invalid;
use crate::domain::hours::{self, CalendarDay, HolidayCalendar, OpenMoment, TimeZone};
use crate::domain::role::Role;
use crate::error::{ApiError, ApiResult};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::HashSet;
use std::sync::Arc;

/// The calendar as this request first read it: every `isOpen` and `openAt` of one request
/// sees the same calendar, read once.
#[derive(Default)]
pub struct RequestCalendar(tokio::sync::OnceCell<Arc<HolidayCalendar>>);

async fn calendar(ctx: &Context<'_>) -> ApiResult<Arc<HolidayCalendar>> {
    let load = || async { Ok::<_, ApiError>(store(ctx)?.current_holiday_calendar().await?) };
    match ctx.data_opt::<RequestCalendar>() {
        Some(memo) => memo.0.get_or_try_init(load).await.cloned(),
        None => load().await,
    }
}

/// `at` (or now) as a moment to test opening hours against, in the service's time zone.
pub async fn moment(ctx: &Context<'_>, at: Option<DateTime<Utc>>) -> ApiResult<OpenMoment> {
    let zone = ctx.data_opt::<TimeZone>().copied().unwrap_or_default();
    Ok(OpenMoment::checked(at.unwrap_or_else(Utc::now), zone, &*calendar(ctx).await?)?)
}

/// A day of the week: the one whose opening hours a make-up working day keeps.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday (星期一).
    Monday,
    /// Tuesday (星期二).
    Tuesday,
    /// Wednesday (星期三).
    Wednesday,
    /// Thursday (星期四).
    Thursday,
    /// Friday (星期五).
    Friday,
    /// Saturday (星期六).
    Saturday,
    /// Sunday (星期日).
    Sunday,
}

impl From<Weekday> for chrono::Weekday {
    fn from(w: Weekday) -> Self {
        match w {
            Weekday::Monday => Self::Mon,
            Weekday::Tuesday => Self::Tue,
            Weekday::Wednesday => Self::Wed,
            Weekday::Thursday => Self::Thu,
            Weekday::Friday => Self::Fri,
            Weekday::Saturday => Self::Sat,
            Weekday::Sunday => Self::Sun,
        }
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(w: chrono::Weekday) -> Self {
        match w {
            chrono::Weekday::Mon => Self::Monday,
            chrono::Weekday::Tue => Self::Tuesday,
            chrono::Weekday::Wed => Self::Wednesday,
            chrono::Weekday::Thu => Self::Thursday,
            chrono::Weekday::Fri => Self::Friday,
            chrono::Weekday::Sat => Self::Saturday,
            chrono::Weekday::Sun => Self::Sunday,
        }
    }
}

/// What an official holiday notice says about a date.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CalendarDayKind {
    /// A public holiday (放假): `PH` rules apply.
    DayOff,
    /// A make-up working day (调休上班): runs like an ordinary weekday.
    WorkingDay,
}

/// One day of an official holiday notice, as loaded and as read back.
#[derive(InputObject, SimpleObject, Clone, Debug)]
#[graphql(input_name = "CalendarDayInput")]
pub struct CalendarDayEntry {
    /// The date (YYYY-MM-DD); on input it must lie in the calendar's year and appear once.
    pub date: NaiveDate,
    /// Whether the date is a day off or a make-up working day.
    pub kind: CalendarDayKind,
    /// E.g. 国庆节.
    pub name: Option<String>,
    /// For a working day: the weekday whose hours it keeps (Monday when not given).
    pub as_weekday: Option<Weekday>,
}

/// Where a year's holiday calendar comes from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CalendarSource {
    /// Loaded by an admin from the official notice.
    Loaded,
    /// The `opening-hours` crate's data: days off only (often just a holiday's first day).
    BuiltIn,
}

/// The public-holiday calendar used for one year.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct HolidayCalendarYear {
    /// The calendar year.
    pub year: i32,
    /// Whether the days come from an official notice an admin loaded or from the built-in data.
    pub source: CalendarSource,
    /// The year's days off and make-up working days (only days off when built in).
    pub days: Vec<CalendarDayEntry>,
    /// When an admin loaded this year's calendar; null when built in.
    pub loaded_at: Option<DateTime<Utc>>,
    /// The name of the token that loaded it. Needs the admin role, like `createdBy`.
    #[graphql(skip)]
    pub loaded_by: Option<String>,
}

#[ComplexObject]
impl HolidayCalendarYear {
    /// The name of the token that loaded the calendar; null when built in. Needs the admin role.
    async fn loaded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        require(ctx, Role::Admin).await?;
        Ok(self.loaded_by.as_deref())
    }
}

async fn year_view(ctx: &Context<'_>, calendar: &HolidayCalendar, year: i32) -> ApiResult<HolidayCalendarYear> {
    let load = {
        let (store, _slot) = reading(ctx).await?;
        store.holiday_calendar_load(year).await?
    };
    let days = calendar
        .year(year)
        .into_iter()
        .map(|(date, day)| match day {
            CalendarDay::DayOff { name } => {
                CalendarDayEntry { date, kind: CalendarDayKind::DayOff, name, as_weekday: None }
            }
            CalendarDay::WorkingDay { name, as_weekday } => {
                CalendarDayEntry { date, kind: CalendarDayKind::WorkingDay, name, as_weekday: Some(as_weekday.into()) }
            }
        })
        .collect();
    Ok(HolidayCalendarYear {
        year,
        source: if calendar.is_loaded(year) { CalendarSource::Loaded } else { CalendarSource::BuiltIn },
        days,
        loaded_at: load.as_ref().map(|l| l.loaded_at),
        loaded_by: load.map(|l| l.loaded_by),
    })
}

fn check_year(year: i32) -> Result<(), Invalid> {
    if hours::YEARS.contains(&year) {
        Ok(())
    } else {
        Err(Invalid::new(format!("year must be in {}..={}, got {year}", hours::YEARS.start(), hours::YEARS.end())))
    }
}

fn parse_days(year: i32, days: Vec<CalendarDayEntry>) -> Result<Vec<(NaiveDate, CalendarDay)>, Invalid> {
    let mut seen = HashSet::new();
    days.into_iter()
        .enumerate()
        .map(|(i, day)| {
            if day.date.year() != year {
                return Err(Invalid::new(format!("days[{i}]: {} is not in {year}", day.date)));
            }
            if !seen.insert(day.date) {
                return Err(Invalid::new(format!("days[{i}]: {} is listed twice", day.date)));
            }
            let name = crate::domain::validate::optional_text(&format!("days[{i}].name"), day.name.as_deref(), 100)?;
            let entry = match (day.kind, day.as_weekday) {
                (CalendarDayKind::DayOff, None) => CalendarDay::DayOff { name },
                (CalendarDayKind::DayOff, Some(_)) => {
                    return Err(Invalid::new(format!("days[{i}]: asWeekday is only for working days")));
                }
                (CalendarDayKind::WorkingDay, w) => {
                    CalendarDay::WorkingDay { name, as_weekday: w.map_or(chrono::Weekday::Mon, Into::into) }
                }
            };
            Ok((day.date, entry))
        })
        .collect()
}

#[derive(Default)]
pub struct HoursQuery;

#[Object]
impl HoursQuery {
    /// The public holidays and make-up working days that opening hours use in `year`.
    async fn holiday_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The calendar year, 1900 to 9999.")] year: i32,
    ) -> ApiResult<HolidayCalendarYear> {
        check_year(year)?;
        year_view(ctx, &*calendar(ctx).await?, year).await
    }
}

#[derive(Default)]
pub struct HoursMutation;

#[Object]
impl HoursMutation {
    /// Replaces the holiday calendar of `year` with the official notice's days: days off and
    /// make-up working days. From then on `isOpen` and `openAt` use it (in every process).
    /// Needs the admin role.
    async fn load_holiday_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The year the notice is for, 1900 to 9999.")] year: i32,
        #[graphql(
            desc = "Every day off and make-up working day of `year`, each date once; replaces the days loaded before."
        )]
        days: Vec<CalendarDayEntry>,
    ) -> ApiResult<HolidayCalendarYear> {
        let actor = require(ctx, Role::Admin).await?;
        check_year(year)?;
        let days = parse_days(year, days)?;
        let store = store(ctx)?;
        store.load_holiday_calendar(year, &days, &actor.name).await?;
        year_view(ctx, &store.holiday_calendar().await?, year).await
    }
}
