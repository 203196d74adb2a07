//! Opening hours through the API: `isOpen(at:)`, the `openAt` filter in lists, searches and
//! coverage, validation on write, and the admin-loaded holiday calendar with make-up working
//! days. Expectations come from a small reference evaluator of the simple schedules used here
//! (weekday set + one time window + optionally closed on public holidays).

use crate::helpers::{CREATE_FACILITY, TestApp, error_codes};
use api::domain::role::Role;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};
use std::collections::HashSet;

/// A schedule simple enough to evaluate by hand: open on `days` (0 = Monday) from `open` to
/// `close` (minutes after midnight), and closed on public holidays when `ph_off`.
struct Simple {
    days: &'static [u32],
    open: u32,
    close: u32,
    ph_off: bool,
}

const DAY_NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

impl Simple {
    fn text(&self) -> String {
        let days: Vec<&str> = self.days.iter().map(|&d| DAY_NAMES[d as usize]).collect();
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        let mut text = format!("{} {}-{}", days.join(","), hm(self.open), hm(self.close));
        if self.ph_off {
            text.push_str("; PH off");
        }
        text
    }

    /// `weekday` is the day whose schedule applies (for a make-up working day, Monday).
    fn open_at(&self, weekday: u32, minute: u32, holiday: bool) -> bool {
        !(self.ph_off && holiday) && self.days.contains(&weekday) && (self.open..self.close).contains(&minute)
    }
}

const SCHEDULES: [Simple; 4] = [
    Simple { days: &[0, 1, 2, 3, 4], open: 11 * 60, close: 13 * 60, ph_off: false },
    Simple { days: &[5, 6], open: 9 * 60, close: 17 * 60, ph_off: false },
    Simple { days: &[0, 1, 2, 3, 4], open: 8 * 60, close: 17 * 60, ph_off: true },
    Simple { days: &[0, 1, 2, 3, 4, 5, 6], open: 7 * 60, close: 21 * 60, ph_off: true },
];

/// The 2025 National Day notice: October 1-8 off, Sunday Sep 28 and Saturday Oct 11 worked.
fn national_day_2025() -> (Vec<NaiveDate>, Vec<NaiveDate>) {
    let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    ((1..=8).map(|day| d(10, day)).collect(), vec![d(9, 28), d(10, 11)])
}

async fn create(app: &TestApp, token: &str, kind: &str, lon: f64, hours: Option<&str>) -> (Value, Value) {
    let mut input = json!({ "kind": kind, "name": format!("{kind} {lon}"), "location": { "lon": lon, "lat": 38.47 } });
    if let Some(h) = hours {
        input["openingHours"] = json!(h);
    }
    let r = app.gql(CREATE_FACILITY, json!({ "input": input }), Some(token)).await;
    (r["data"]["createFacility"]["id"].clone(), r)
}

fn beijing(at: NaiveDateTime) -> String {
    format!("{}+08:00", at.format("%Y-%m-%dT%H:%M:%S"))
}

#[actix_web::test]
async fn is_open_follows_hours_holidays_and_make_up_days() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let mut ids = Vec::new();
    for (i, s) in SCHEDULES.iter().enumerate() {
        let (id, r) = create(&app, &admin, "MEAL_POINT", 106.2 + i as f64 * 0.01, Some(&s.text())).await;
        assert!(r.get("errors").is_none(), "{r}");
        ids.push(id);
    }
    let (unknown, _) = create(&app, &admin, "MEAL_POINT", 106.3, None).await;
    let (said_unknown, _) = create(&app, &admin, "MEAL_POINT", 106.31, Some("Mo-Su unknown")).await;
    let (always, _) = create(&app, &admin, "NURSING_HOME", 106.32, Some("24/7")).await;

    let (days_off, worked) = national_day_2025();
    let mut days: Vec<Value> =
        days_off.iter().map(|d| json!({ "date": d.to_string(), "kind": "DAY_OFF", "name": "国庆节" })).collect();
    days.extend(worked.iter().map(|d| json!({ "date": d.to_string(), "kind": "WORKING_DAY" })));
    let load = "mutation($days: [CalendarDayInput!]!) { loadHolidayCalendar(year: 2025, days: $days) { year source days { date kind } loadedBy } }";
    let loaded = app.ok(load, json!({ "days": days }), Some(&admin)).await;
    assert_eq!(loaded["loadHolidayCalendar"]["source"], "LOADED");
    assert_eq!(loaded["loadHolidayCalendar"]["days"].as_array().unwrap().len(), 10);
    assert_eq!(loaded["loadHolidayCalendar"]["loadedBy"], "test-admin");

    // Every 90 minutes from Sep 26 to Oct 13 2025, Beijing time: weekdays, weekends, the
    // holiday week and both make-up days.
    let query = "query($at: DateTime) { facilities(first: 100) { edges { node { id isOpen(at: $at) } } } }";
    let start = NaiveDate::from_ymd_opt(2025, 9, 26).unwrap().and_hms_opt(0, 30, 0).unwrap();
    let mut checked = 0;
    let mut seen = HashSet::new();
    for step in 0..(18 * 16) {
        let at = start + Duration::minutes(90 * step);
        let holiday = days_off.contains(&at.date());
        let weekday = if worked.contains(&at.date()) { 0 } else { at.weekday().num_days_from_monday() };
        let minute = at.hour_minute();
        let data = app.ok(query, json!({ "at": beijing(at) }), None).await;
        let edges = data["facilities"]["edges"].as_array().unwrap();
        for (id, s) in ids.iter().zip(&SCHEDULES) {
            let node = edges.iter().find(|e| e["node"]["id"] == *id).unwrap();
            let expected = s.open_at(weekday, minute, holiday);
            assert_eq!(node["node"]["isOpen"], json!(expected), "{} at {at}", s.text());
            seen.insert(expected);
            checked += 1;
        }
        for (id, expected) in [(&unknown, Value::Null), (&said_unknown, Value::Null), (&always, json!(true))] {
            let node = edges.iter().find(|e| e["node"]["id"] == *id).unwrap();
            assert_eq!(node["node"]["isOpen"], expected, "at {at}");
        }
    }
    assert_eq!(seen.len(), 2, "both open and closed answers were checked");
    assert!(checked > 1_000);

    // Without `at`, isOpen answers for now (the 24/7 home is open whenever that is).
    let now = app.ok(&format!(r#"{{ facility(id: {always}) {{ isOpen }} }}"#), json!({}), None).await;
    assert_eq!(now["facility"]["isOpen"], true);
    // Years without a loaded calendar use the built-in days off; the query says which.
    let cal = app.ok("{ holidayCalendar(year: 2026) { source days { date kind } } }", json!({}), None).await;
    assert_eq!(cal["holidayCalendar"]["source"], "BUILT_IN");
    assert!(cal["holidayCalendar"]["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-10-01"));
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for NaiveDateTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

/// Coverage, counts and searches "at weekday lunch" count exactly the facilities open then.
#[actix_web::test]
async fn open_at_filters_every_facility_query() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    // Lunch-only meal points in the west, weekend-only day care in the east, one without hours.
    for i in 0..6 {
        create(&app, &admin, "MEAL_POINT", 106.20 + i as f64 * 0.004, Some("Mo-Fr 11:00-13:00")).await;
        create(&app, &admin, "DAY_CARE_CENTER", 106.26 + i as f64 * 0.004, Some("Sa,Su 09:00-17:00")).await;
    }
    create(&app, &admin, "NURSING_HOME", 106.23, None).await;
    let area = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    for i in 0..30 {
        let input = json!({ "name": format!("a{i}"), "location": { "lon": 106.19 + i as f64 * 0.003, "lat": 38.471 },
                            "population": 100 + i, "elderlyPopulation": 10 + i });
        app.ok(area, json!({ "input": input }), Some(&admin)).await;
    }
    let weekday_lunch = "2026-11-25T12:00:00+08:00";
    let weekend = "2026-11-28T10:00:00+08:00";
    let night = "2026-11-25T23:00:00+08:00";
    let report = "query($f: FacilityFilter) { coverage(input: { filter: $f, minutes: 10, travel: { model: STRAIGHT_LINE } }) { coveredResidentialAreas coveredElderlyPopulation elderlyCoverageRatio } }";
    let count = "query($f: FacilityFilter) { facilities(filter: $f) { totalCount } nearbyFacilities(near: { lon: 106.25, lat: 38.47 }, limit: 50, filter: $f) { facility { kind } } }";
    for (at, kinds) in
        [(weekday_lunch, json!(["MEAL_POINT"])), (weekend, json!(["DAY_CARE_CENTER"])), (night, json!([]))]
    {
        let by_time = app.ok(report, json!({ "f": { "openAt": at } }), None).await;
        let by_kind = app.ok(report, json!({ "f": { "kinds": kinds } }), None).await;
        assert_eq!(by_time, by_kind, "coverage at {at}");
        let by_time = app.ok(count, json!({ "f": { "openAt": at } }), None).await;
        let by_kind = app.ok(count, json!({ "f": { "kinds": kinds } }), None).await;
        assert_eq!(by_time, by_kind, "lists at {at}");
    }
    let lunch = app.ok(count, json!({ "f": { "openAt": weekday_lunch } }), None).await;
    assert_eq!(lunch["facilities"]["totalCount"], 6, "the premise: six meal points open at lunch");
    // Pages of an openAt list are consistent: two pages of 4 and 2, no overlap.
    let page = "query($after: String) { facilities(first: 4, after: $after, filter: { openAt: \"2026-11-25T12:00:00+08:00\" }) { edges { node { kind } } pageInfo { hasNextPage endCursor } } }";
    let first = app.ok(page, json!({}), None).await;
    assert_eq!(first["facilities"]["edges"].as_array().unwrap().len(), 4);
    assert_eq!(first["facilities"]["pageInfo"]["hasNextPage"], true);
    let second = app.ok(page, json!({ "after": first["facilities"]["pageInfo"]["endCursor"] }), None).await;
    assert_eq!(second["facilities"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(second["facilities"]["pageInfo"]["hasNextPage"], false);
}

#[actix_web::test]
async fn invalid_hours_and_calendars_are_refused_whole() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let (_, r) = create(&app, &admin, "MEAL_POINT", 106.2, Some("Mo-Fr 25:00-26:00")).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"]);
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("openingHours"), "{r}");
    let (id, _) = create(&app, &admin, "MEAL_POINT", 106.2, Some("Mo-Fr 11:00-13:00")).await;
    let update = "mutation($id: ID!, $h: String) { updateFacility(id: $id, version: 1, input: { openingHours: $h }) { version } }";
    let r = app.gql(update, json!({ "id": id, "h": "every day" }), Some(&admin)).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"]);
    let import = json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "geometry": { "type": "Point", "coordinates": [106.2, 38.4] }, "properties": { "kind": "MEAL_POINT", "name": "ok", "openingHours": "24/7" } },
        { "type": "Feature", "geometry": { "type": "Point", "coordinates": [106.2, 38.4] }, "properties": { "kind": "MEAL_POINT", "name": "bad", "openingHours": "Mo-Fr 8-" } }
    ]});
    let r = app
        .ok(
            "mutation($f: GeoJSON!) { importFacilities(features: $f) { created rejected { index reason } } }",
            json!({ "f": import }),
            Some(&admin),
        )
        .await;
    assert_eq!(r["importFacilities"]["created"], 1);
    assert_eq!(r["importFacilities"]["rejected"][0]["index"], 1);
    let data = app.ok("{ facilities { totalCount edges { node { version openingHours } } } }", json!({}), None).await;
    assert_eq!(data["facilities"]["totalCount"], 2, "nothing half-written");
    assert_eq!(data["facilities"]["edges"][0]["node"]["version"], 1);
    assert_eq!(data["facilities"]["edges"][0]["node"]["openingHours"], "Mo-Fr 11:00-13:00");

    let load = "mutation($y: Int!, $days: [CalendarDayInput!]!) { loadHolidayCalendar(year: $y, days: $days) { days { date } } }";
    for (year, days) in [
        (2025, json!([{ "date": "2026-01-01", "kind": "DAY_OFF" }])),
        (2025, json!([{ "date": "2025-01-01", "kind": "DAY_OFF" }, { "date": "2025-01-01", "kind": "WORKING_DAY" }])),
        (2025, json!([{ "date": "2025-01-01", "kind": "DAY_OFF", "asWeekday": "MONDAY" }])),
        (1800, json!([])),
    ] {
        let r = app.gql(load, json!({ "y": year, "days": days }), Some(&admin)).await;
        assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{days}");
    }
    // Loading a year again replaces it, and another process sees the new calendar.
    app.ok(load, json!({ "y": 2025, "days": [{ "date": "2025-10-01", "kind": "DAY_OFF" }, { "date": "2025-10-02", "kind": "DAY_OFF" }] }), Some(&admin)).await;
    app.ok(load, json!({ "y": 2025, "days": [{ "date": "2025-10-03", "kind": "DAY_OFF" }] }), Some(&admin)).await;
    let other = TestApp::spawn_on(&app.database_url).await;
    let cal = other.ok("{ holidayCalendar(year: 2025) { source days { date kind } } }", json!({}), None).await;
    assert_eq!(cal["holidayCalendar"]["days"], json!([{ "date": "2025-10-03", "kind": "DAY_OFF" }]));
    let q = r#"query($id: ID!) { facility(id: $id) { isOpen(at: "2025-10-03T12:00:00+08:00") } }"#;
    let office = create(&app, &admin, "DAY_CARE_CENTER", 106.21, Some("Mo-Fr 08:00-17:00; PH off")).await.0;
    assert_eq!(other.ok(q, json!({ "id": office }), None).await["facility"]["isOpen"], false);
}
