//! Opening hours: OpenStreetMap `opening_hours` expressions evaluated by the `opening-hours`
//! crate, in the service's time zone, against a public-holiday calendar that knows China's
//! make-up working days (调休上班), which the crate's own holiday data lacks.
//!
//! The rule for a make-up working day: it follows the schedule of an ordinary weekday
//! (Monday unless the calendar says otherwise), so a canteen open `Mo-Fr` opens on the
//! Sunday that is worked, and `PH` rules do not apply to it.

use super::Invalid;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;
use compact_calendar::CompactCalendar;
use opening_hours::localization::Country;
use opening_hours::{Context, ContextHolidays, OpeningHours};
use opening_hours_syntax::rules::RuleKind;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, RwLock};

/// The crate evaluates nothing outside these years.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// Checks an `opening_hours` expression as written by a user.
pub fn validate(text: &str) -> Result<(), Invalid> {
    parse(text)
        .map(drop)
        .map_err(|reason| Invalid::new(format!("openingHours is not valid opening_hours syntax: {reason}")))
}

fn parse(text: &str) -> Result<OpeningHours, String> {
    text.parse::<OpeningHours>().map_err(|e| {
        // The parser's message is a multi-line drawing; its last line says what was expected.
        let message = e.to_string();
        let expected = message.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("unknown error");
        expected.trim_start_matches("= ").to_owned()
    })
}

/// Parsed expressions by text. Many facilities share a handful of texts, and parsing costs
/// ~25 us against ~0.5 us for an evaluation, so each distinct text is parsed once.
static PARSED: LazyLock<RwLock<HashMap<Box<str>, Option<OpeningHours>>>> = LazyLock::new(Default::default);
const PARSED_CAPACITY: usize = 20_000;

fn parsed(text: &str) -> Option<OpeningHours> {
    if let Ok(book) = PARSED.read()
        && let Some(hours) = book.get(text)
    {
        return hours.clone();
    }
    // Rows written before validation existed may not parse; they count as unknown hours.
    let hours = parse(text).ok();
    if let Ok(mut book) = PARSED.write() {
        if book.len() >= PARSED_CAPACITY {
            book.clear();
        }
        book.insert(text.into(), hours.clone());
    }
    hours
}

/// What a calendar says of one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarDay {
    /// A public holiday: `PH` rules apply.
    DayOff { name: Option<String> },
    /// A make-up working day on a weekend: the day runs like an ordinary `as_weekday`.
    WorkingDay { name: Option<String>, as_weekday: Weekday },
}

/// The official calendars an admin loaded, by year. Years not loaded fall back to the crate's
/// built-in Chinese public holidays (which have no make-up days).
#[derive(Clone, Debug, Default)]
pub struct HolidayCalendar {
    loaded_years: BTreeSet<i32>,
    days: BTreeMap<NaiveDate, CalendarDay>,
    /// The days off in the crate's form, built on first use (once per calendar read, not once
    /// per facility asked about).
    public: std::sync::OnceLock<Arc<CompactCalendar>>,
}

impl PartialEq for HolidayCalendar {
    fn eq(&self, other: &Self) -> bool {
        self.loaded_years == other.loaded_years && self.days == other.days
    }
}

impl HolidayCalendar {
    /// Builds a calendar from loaded years and their days; days outside `loaded_years` are ignored.
    pub fn new(
        loaded_years: impl IntoIterator<Item = i32>,
        days: impl IntoIterator<Item = (NaiveDate, CalendarDay)>,
    ) -> Self {
        let loaded_years: BTreeSet<i32> = loaded_years.into_iter().collect();
        let days = days.into_iter().filter(|(d, _)| loaded_years.contains(&d.year())).collect();
        Self { loaded_years, days, public: std::sync::OnceLock::new() }
    }

    pub fn is_loaded(&self, year: i32) -> bool {
        self.loaded_years.contains(&year)
    }

    /// The days of `year`: the loaded calendar, or the built-in days off.
    pub fn year(&self, year: i32) -> Vec<(NaiveDate, CalendarDay)> {
        if self.is_loaded(year) {
            return self.days.range(year_start(year)..year_start(year + 1)).map(|(d, day)| (*d, day.clone())).collect();
        }
        built_in()
            .get_public()
            .iter()
            .filter(|d| d.year() == year)
            .map(|d| (d, CalendarDay::DayOff { name: None }))
            .collect()
    }

    fn day(&self, date: NaiveDate) -> Option<&CalendarDay> {
        self.days.get(&date)
    }

    fn is_day_off(&self, date: NaiveDate) -> bool {
        if self.is_loaded(date.year()) {
            matches!(self.day(date), Some(CalendarDay::DayOff { .. }))
        } else {
            built_in().get_public().contains(date)
        }
    }

    /// Public holidays as the crate wants them: loaded years from the calendar, others built in.
    fn public_holidays(&self) -> Arc<CompactCalendar> {
        Arc::clone(self.public.get_or_init(|| self.build_public_holidays()))
    }

    fn build_public_holidays(&self) -> Arc<CompactCalendar> {
        let mut public = CompactCalendar::default();
        for date in built_in().get_public().iter().filter(|d| !self.is_loaded(d.year())) {
            public.insert(date);
        }
        for (date, day) in &self.days {
            if matches!(day, CalendarDay::DayOff { .. }) {
                public.insert(*date);
            }
        }
        Arc::new(public)
    }

    /// The date whose schedule `date` follows: itself, or for a make-up working day the nearest
    /// ordinary (neither off nor made up) day of its weekday.
    fn schedule_date(&self, date: NaiveDate) -> NaiveDate {
        let Some(CalendarDay::WorkingDay { as_weekday, .. }) = self.day(date) else {
            return date;
        };
        let ordinary = |d: &NaiveDate| d.weekday() == *as_weekday && !self.is_day_off(*d) && self.day(*d).is_none();
        // The nearest such weekday is at most a few weeks away even around the longest holiday.
        (0..=70u64)
            .flat_map(|k| [date.checked_sub_days(Days::new(k)), date.checked_add_days(Days::new(k))])
            .flatten()
            .find(ordinary)
            .unwrap_or(date)
    }
}

fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn built_in() -> &'static ContextHolidays {
    static CN: LazyLock<ContextHolidays> = LazyLock::new(|| Country::CN.holidays());
    &CN
}

/// The service's clock: where "now" and a given instant fall in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(pub Tz);

impl Default for TimeZone {
    fn default() -> Self {
        Self(chrono_tz::Asia::Shanghai)
    }
}

impl std::str::FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<Tz>().map(Self).map_err(|_| format!("unknown IANA time zone {s:?}"))
    }
}

/// An instant, ready to test many facilities' hours against.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenMoment {
    /// Local date and time, with a make-up working day replaced by the day it runs like.
    evaluated_at: NaiveDateTime,
    context: Context,
}

/// The years an instant may fall in for its opening hours to be read: far from today the
/// evaluator's calendar runs out and every facility would read as closed.
pub const MOMENT_YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

impl OpenMoment {
    /// The moment `at`, refused outside `MOMENT_YEARS` rather than answered wrongly.
    pub fn checked(at: DateTime<Utc>, zone: TimeZone, calendar: &HolidayCalendar) -> Result<Self, super::Invalid> {
        use chrono::Datelike;
        if !MOMENT_YEARS.contains(&at.year()) {
            return Err(super::Invalid::new(format!(
                "opening hours can be evaluated for the years {} to {}, not {}",
                MOMENT_YEARS.start(),
                MOMENT_YEARS.end(),
                at.year()
            )));
        }
        Ok(Self::new(at, zone, calendar))
    }

    pub fn new(at: DateTime<Utc>, zone: TimeZone, calendar: &HolidayCalendar) -> Self {
        let local = at.with_timezone(&zone.0).naive_local();
        let evaluated_at = calendar.schedule_date(local.date()).and_time(local.time());
        let context =
            Context::default().with_holidays(ContextHolidays::new(calendar.public_holidays(), Arc::default()));
        Self { evaluated_at, context }
    }

    /// Open (`true`), closed (`false`), or unknown (`None`: no hours, hours that do not parse,
    /// or a rule that says `unknown`).
    pub fn is_open(&self, hours: Option<&str>) -> Option<bool> {
        let hours = parsed(hours?)?.with_context(self.context.clone());
        match hours.state(self.evaluated_at).0 {
            RuleKind::Open => Some(true),
            RuleKind::Closed => Some(false),
            RuleKind::Unknown => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn utc(local: &str) -> DateTime<Utc> {
        // Local Beijing time in the tests reads like the notices it comes from.
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Asia::Shanghai.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The 2025 National Day notice: Oct 1-8 off, Sep 28 (Sunday) and Oct 11 (Saturday) worked.
    fn national_day_2025() -> HolidayCalendar {
        let off = (1..=8).map(|d| (date(&format!("2025-10-0{d}")), CalendarDay::DayOff { name: None }));
        let worked = ["2025-09-28", "2025-10-11"]
            .map(|d| (date(d), CalendarDay::WorkingDay { name: None, as_weekday: Weekday::Mon }));
        HolidayCalendar::new([2025], off.chain(worked))
    }

    fn open(hours: &str, at: &str, calendar: &HolidayCalendar) -> Option<bool> {
        OpenMoment::new(utc(at), TimeZone::default(), calendar).is_open(Some(hours))
    }

    #[test]
    fn weekday_lunch_and_weekend() {
        let cal = HolidayCalendar::default();
        let lunch = "Mo-Fr 11:00-13:00";
        // 2026-11-25 is a Wednesday, 2026-11-28 a Saturday.
        assert_eq!(open(lunch, "2026-11-25 12:00", &cal), Some(true));
        assert_eq!(open(lunch, "2026-11-25 13:30", &cal), Some(false));
        assert_eq!(open(lunch, "2026-11-28 12:00", &cal), Some(false));
        assert_eq!(open("24/7", "2026-11-28 03:00", &cal), Some(true));
    }

    #[test]
    fn the_instant_is_read_in_the_service_time_zone() {
        // 04:00 UTC is noon in Beijing.
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 4, 0, 0).unwrap();
        let moment = OpenMoment::new(at, TimeZone::default(), &HolidayCalendar::default());
        assert_eq!(moment.is_open(Some("Mo-Fr 11:00-13:00")), Some(true));
        let london = OpenMoment::new(at, "Europe/London".parse().unwrap(), &HolidayCalendar::default());
        assert_eq!(london.is_open(Some("Mo-Fr 11:00-13:00")), Some(false));
    }

    #[test]
    fn loaded_holidays_and_make_up_days() {
        let cal = national_day_2025();
        let office = "Mo-Fr 08:00-17:00; PH off";
        assert_eq!(open(office, "2025-10-03 10:00", &cal), Some(false), "a weekday off");
        assert_eq!(open(office, "2025-10-08 10:00", &cal), Some(false), "the 8th is off by the notice");
        assert_eq!(open(office, "2025-09-28 10:00", &cal), Some(true), "Sunday worked");
        assert_eq!(open(office, "2025-10-11 10:00", &cal), Some(true), "Saturday worked");
        assert_eq!(open(office, "2025-10-12 10:00", &cal), Some(false), "an ordinary Sunday");
        assert_eq!(open(office, "2025-10-09 10:00", &cal), Some(true), "an ordinary Thursday");
        // Without the loaded calendar the built-in data knows only Oct 1 and no make-up day.
        let built_in = HolidayCalendar::default();
        assert_eq!(open(office, "2025-10-08 10:00", &built_in), Some(true));
        assert_eq!(open(office, "2025-09-28 10:00", &built_in), Some(false));
    }

    #[test]
    fn a_make_up_day_can_follow_another_weekday() {
        let cal = HolidayCalendar::new(
            [2025],
            [(date("2025-09-28"), CalendarDay::WorkingDay { name: None, as_weekday: Weekday::Fri })],
        );
        let hours = "Mo-Th 08:00-17:00; Fr 08:00-12:00";
        assert_eq!(open(hours, "2025-09-28 15:00", &cal), Some(false));
        assert_eq!(open(hours, "2025-09-28 11:00", &cal), Some(true));
    }

    #[test]
    fn unknown_hours_are_none() {
        let cal = HolidayCalendar::default();
        let moment = OpenMoment::new(utc("2026-11-25 12:00"), TimeZone::default(), &cal);
        assert_eq!(moment.is_open(None), None);
        assert_eq!(moment.is_open(Some("Mo-Fr unknown")), None);
        assert_eq!(moment.is_open(Some("not hours at all")), None);
    }

    #[test]
    fn validation_explains_the_error() {
        assert!(validate("Mo-Fr 08:00-17:00; PH off").is_ok());
        assert!(validate("24/7").is_ok());
        let error = validate("Mo-Fr 25:00-26:00").unwrap_err().0;
        assert!(error.starts_with("openingHours is not valid"), "{error}");
        assert!(!error.contains('\n'), "{error}");
    }

    #[test]
    fn built_in_years_list_their_days_off() {
        let cal = national_day_2025();
        assert_eq!(cal.year(2025).len(), 10);
        assert!(cal.year(2026).iter().any(|(d, _)| *d == date("2026-10-01")));
    }
}
