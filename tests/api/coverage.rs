//! Planning queries against brute force computed here, independently of the service's geo code.

use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

/// 15 minutes at 0.75 m/s with a detour factor of 1.3.
const REACH_M: f64 = 15.0 * 60.0 * 0.75 / 1.3;

/// id, position, population, elderly, community code.
type Area = (String, (f64, f64), i64, i64, String);

struct World {
    facilities: Vec<(String, (f64, f64), &'static str)>,
    areas: Vec<Area>,
}

async fn world(app: &TestApp, seed: u64) -> World {
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut facilities = Vec::new();
    for i in 0..12 {
        let p = (rng.random_range(106.25..106.30), rng.random_range(38.45..38.49));
        let kind = if i % 3 == 0 { "MEAL_POINT" } else { "DAY_CARE_CENTER" };
        facilities.push((create_at(app, &editor, kind, p.0, p.1).await, p, kind));
    }
    let q = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let mut areas = Vec::new();
    for i in 0..80 {
        let p = (rng.random_range(106.24..106.31), rng.random_range(38.44..38.50));
        let population = rng.random_range(100..2_000);
        let elderly = rng.random_range(0..population / 3);
        let code = format!("640104{:03}{:03}", 1 + i % 2, 1 + i % 3);
        let input = json!({ "name": format!("小区{i}"), "location": { "lon": p.0, "lat": p.1 }, "population": population, "elderlyPopulation": elderly, "communityCode": code });
        let id = app.ok(q, json!({ "input": input }), Some(&editor)).await["createResidentialArea"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        areas.push((id, p, population, elderly, code));
    }
    World { facilities, areas }
}

impl World {
    fn covered(&self, area: (f64, f64), kinds: &[&str]) -> bool {
        self.facilities.iter().any(|(_, f, k)| kinds.contains(k) && dist(*f, area) <= REACH_M)
    }
}

#[actix_web::test]
async fn coverage_counts_equal_brute_force_overall_and_by_community() {
    let app = TestApp::spawn().await;
    let w = world(&app, 1).await;
    let q = r#"query($input: CoverageInput!) { coverage(input: $input) {
        residentialAreas coveredResidentialAreas population coveredPopulation elderlyPopulation coveredElderlyPopulation elderlyCoverageRatio
        byCommunity { communityCode residentialAreas coveredResidentialAreas coveredElderlyPopulation elderlyPopulation }
        streets: byCommunity(codeLength: 9) { communityCode residentialAreas } } }"#;
    for (filter, kinds) in
        [(json!(null), vec!["MEAL_POINT", "DAY_CARE_CENTER"]), (json!({ "kinds": ["MEAL_POINT"] }), vec!["MEAL_POINT"])]
    {
        let report = app.ok(q, json!({ "input": { "filter": filter } }), None).await["coverage"].clone();
        let covered: Vec<bool> = w.areas.iter().map(|a| w.covered(a.1, &kinds)).collect();
        let sum = |f: &dyn Fn(usize) -> i64| (0..w.areas.len()).map(f).sum::<i64>();
        assert_eq!(report["residentialAreas"], 80);
        assert_eq!(report["coveredResidentialAreas"], covered.iter().filter(|c| **c).count());
        assert_eq!(report["population"], sum(&|i| w.areas[i].2));
        assert_eq!(report["coveredPopulation"], sum(&|i| if covered[i] { w.areas[i].2 } else { 0 }));
        let elderly = sum(&|i| w.areas[i].3);
        let covered_elderly = sum(&|i| if covered[i] { w.areas[i].3 } else { 0 });
        assert_eq!(report["coveredElderlyPopulation"], covered_elderly);
        assert!(
            (report["elderlyCoverageRatio"].as_f64().unwrap() - covered_elderly as f64 / elderly as f64).abs() < 1e-12
        );
        let groups = report["byCommunity"].as_array().unwrap();
        assert_eq!(groups.len(), 6);
        for g in groups {
            let code = g["communityCode"].as_str().unwrap();
            let members: Vec<usize> = (0..80).filter(|&i| w.areas[i].4 == code).collect();
            assert_eq!(g["residentialAreas"], members.len());
            assert_eq!(
                g["coveredElderlyPopulation"],
                members.iter().map(|&i| if covered[i] { w.areas[i].3 } else { 0 }).sum::<i64>()
            );
        }
        let streets = report["streets"].as_array().unwrap();
        assert_eq!(streets.iter().map(|s| s["communityCode"].as_str().unwrap().len()).collect::<Vec<_>>(), [9, 9]);
        assert_eq!(streets.iter().map(|s| s["residentialAreas"].as_i64().unwrap()).sum::<i64>(), 80);
    }
    // Restricting demand by division and by polygon.
    let by_prefix = app.ok(q, json!({ "input": { "communityCodePrefix": "640104001" } }), None).await;
    assert_eq!(
        by_prefix["coverage"]["residentialAreas"],
        w.areas.iter().filter(|a| a.4.starts_with("640104001")).count()
    );
    let west = json!({ "type": "Polygon", "coordinates": [[[106.0, 38.0], [106.275, 38.0], [106.275, 39.0], [106.0, 39.0], [106.0, 38.0]]] });
    let within = app.ok(q, json!({ "input": { "within": west } }), None).await;
    assert_eq!(within["coverage"]["residentialAreas"], w.areas.iter().filter(|a| a.1.0 < 106.275).count());
}

#[actix_web::test]
async fn an_area_written_through_one_instance_is_counted_by_the_next_question_through_another() {
    let one = TestApp::spawn().await;
    let w = world(&one, 3).await;
    let two = TestApp::spawn_on(&one.database_url).await;
    let q = "query($input: CoverageInput!) { coverage(input: $input) { residentialAreas elderlyPopulation } }";
    let west = json!({ "type": "Polygon", "coordinates": [[[106.0, 38.0], [106.275, 38.0], [106.275, 39.0], [106.0, 39.0], [106.0, 38.0]]] });
    let scope = json!({ "communityCodePrefix": "640104002", "within": west });
    let in_scope = |a: &&Area| a.4.starts_with("640104002") && a.1.0 < 106.275;
    let before = two.ok(q, json!({ "input": scope }), None).await["coverage"].clone();
    assert_eq!(before["residentialAreas"], w.areas.iter().filter(in_scope).count());
    assert_eq!(before["elderlyPopulation"], w.areas.iter().filter(in_scope).map(|a| a.3).sum::<i64>());

    let editor = one.token(Role::Editor).await;
    let create = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    for (lon, code, elderly) in [(106.26, "640104002001", 70), (106.29, "640104002001", 5), (106.26, "640104001001", 9)]
    {
        let input = json!({ "name": "新小区", "location": { "lon": lon, "lat": 38.46 }, "population": 100, "elderlyPopulation": elderly, "communityCode": code });
        one.ok(create, json!({ "input": input }), Some(&editor)).await;
    }
    let after = two.ok(q, json!({ "input": scope }), None).await["coverage"].clone();
    assert_eq!(after["residentialAreas"], before["residentialAreas"].as_i64().unwrap() + 1);
    assert_eq!(after["elderlyPopulation"], before["elderlyPopulation"].as_i64().unwrap() + 70);
    let everything = two.ok(q, json!({ "input": {} }), None).await["coverage"].clone();
    assert_eq!(everything["residentialAreas"], w.areas.len() + 3);
}

#[actix_web::test]
async fn gaps_hold_exactly_the_uncovered_areas_inside_their_polygons_largest_first() {
    let app = TestApp::spawn().await;
    let w = world(&app, 2).await;
    let kinds = ["MEAL_POINT"];
    let q = r#"{ coverageGaps(input: { filter: { kinds: [MEAL_POINT] } }) { residentialAreaIds elderlyPopulation population area nearestTravelMinutes } }"#;
    let gaps = app.ok(q, json!({}), None).await["coverageGaps"].as_array().unwrap().clone();
    let mut in_gaps: Vec<String> = gaps
        .iter()
        .flat_map(|g| g["residentialAreaIds"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()))
        .collect();
    in_gaps.sort();
    let mut uncovered: Vec<String> = w.areas.iter().filter(|a| !w.covered(a.1, &kinds)).map(|a| a.0.clone()).collect();
    uncovered.sort();
    assert!(!uncovered.is_empty());
    assert_eq!(in_gaps, uncovered);
    let elderly: Vec<i64> = gaps.iter().map(|g| g["elderlyPopulation"].as_i64().unwrap()).collect();
    assert!(elderly.windows(2).all(|p| p[0] >= p[1]), "largest first: {elderly:?}");
    for g in &gaps {
        let ring: Vec<(f64, f64)> = g["area"]["coordinates"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let polygon = geo::Polygon::new(geo::LineString::from(ring), vec![]);
        let members: Vec<&Area> = g["residentialAreaIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| w.areas.iter().find(|a| a.0 == id.as_str().unwrap()).unwrap())
            .collect();
        for m in &members {
            assert!(geo::Contains::contains(&polygon, &Point::new(m.1.0, m.1.1)), "gap polygon contains its areas");
        }
        assert_eq!(g["elderlyPopulation"], members.iter().map(|m| m.3).sum::<i64>());
        let nearest = members
            .iter()
            .map(|m| {
                w.facilities
                    .iter()
                    .filter(|f| kinds.contains(&f.2))
                    .map(|f| dist(f.1, m.1))
                    .fold(f64::INFINITY, f64::min)
            })
            .fold(f64::INFINITY, f64::min);
        let minutes = nearest * 1.3 / 0.75 / 60.0;
        assert!((g["nearestTravelMinutes"].as_f64().unwrap() - minutes).abs() < 1e-6);
        assert!(minutes > 15.0);
    }
}

#[actix_web::test]
async fn one_suggested_site_is_the_exhaustive_best_and_more_sites_never_lose_coverage() {
    let app = TestApp::spawn().await;
    let w = world(&app, 3).await;
    let kinds = ["MEAL_POINT"];
    let q = r#"query($count: Int!) { suggestSites(input: { coverage: { filter: { kinds: [MEAL_POINT] } }, count: $count }) {
        elderlyCoverageRatioBefore elderlyCoverageRatioAfter sites { location { lon lat } newlyCoveredElderly cumulativeElderlyCoverageRatio } } }"#;
    let one = app.ok(q, json!({ "count": 1 }), None).await["suggestSites"].clone();
    // Exhaustive: every uncovered area as a candidate, brute-force gain.
    let uncovered: Vec<_> = w.areas.iter().filter(|a| !w.covered(a.1, &kinds)).collect();
    let best = uncovered
        .iter()
        .map(|c| uncovered.iter().filter(|a| dist(c.1, a.1) <= REACH_M).map(|a| a.3).sum::<i64>())
        .max()
        .unwrap();
    assert_eq!(one["sites"][0]["newlyCoveredElderly"], best);
    let five = app.ok(q, json!({ "count": 5 }), None).await["suggestSites"].clone();
    let ratios: Vec<f64> = five["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cumulativeElderlyCoverageRatio"].as_f64().unwrap())
        .collect();
    assert!(ratios.windows(2).all(|p| p[0] <= p[1]));
    assert_eq!(five["elderlyCoverageRatioAfter"].as_f64().unwrap(), *ratios.last().unwrap());
    assert!(five["elderlyCoverageRatioAfter"].as_f64().unwrap() > five["elderlyCoverageRatioBefore"].as_f64().unwrap());
    // Given candidates: the one inside a gap wins over one next to an existing facility.
    let far = uncovered.iter().max_by_key(|a| a.3).unwrap().1;
    let near_existing = w.facilities[0].1;
    let given = r#"query($c: [PointInput!]) { suggestSites(input: { coverage: { filter: { kinds: [MEAL_POINT] } }, count: 1, candidates: $c }) { sites { location { lon lat } } } }"#;
    let pick = app
        .ok(
            given,
            json!({ "c": [{ "lon": near_existing.0, "lat": near_existing.1 }, { "lon": far.0, "lat": far.1 }] }),
            None,
        )
        .await;
    assert_eq!(pick["suggestSites"]["sites"][0]["location"]["lon"], far.0);
}

#[actix_web::test]
async fn reachable_facilities_and_service_circles_follow_the_travel_model() {
    let app = TestApp::spawn().await;
    let w = world(&app, 4).await;
    let from = (106.275, 38.47);
    let q = r#"query($t: TravelInput, $m: Float) { reachableFacilities(from: { lon: 106.275, lat: 38.47 }, minutes: $m, travel: $t) { travelMinutes distanceMeters model facility { id } } }"#;
    for (travel, minutes, speed, detour) in [
        (json!(null), 15.0, 0.75, 1.3),
        (json!({ "profile": "WALK", "detourFactor": 1.0 }), 10.0, 1.0, 1.0),
        (json!({ "speedMetersPerSecond": 2.0, "model": "STRAIGHT_LINE" }), 5.0, 2.0, 1.3),
    ] {
        let hits = app.ok(q, json!({ "t": travel, "m": minutes }), None).await["reachableFacilities"]
            .as_array()
            .unwrap()
            .clone();
        let mut want: Vec<(f64, &str)> = w
            .facilities
            .iter()
            .map(|f| (dist(from, f.1) * detour / speed / 60.0, f.0.as_str()))
            .filter(|(t, _)| *t <= minutes)
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(
            hits.iter().map(|h| h["facility"]["id"].as_str().unwrap()).collect::<Vec<_>>(),
            want.iter().map(|w| w.1).collect::<Vec<_>>()
        );
        for (h, (t, _)) in hits.iter().zip(&want) {
            assert!((h["travelMinutes"].as_f64().unwrap() - t).abs() < 1e-9);
            assert_eq!(h["model"], "STRAIGHT_LINE", "AUTO falls back to the straight line without a network");
        }
    }
    let q = r#"query($id: ID!) { facility(id: $id) { serviceCircle(minutes: 15) } }"#;
    let id = &w.facilities[0].0;
    let polygon = app.ok(q, json!({ "id": id }), None).await["facility"]["serviceCircle"].clone();
    assert_eq!(polygon["type"], "Polygon");
    let ring = polygon["coordinates"][0].as_array().unwrap();
    assert!(ring.len() >= 65);
    assert_eq!(ring.first(), ring.last());
    for v in ring {
        let d = dist(w.facilities[0].1, (v[0].as_f64().unwrap(), v[1].as_f64().unwrap()));
        assert!((d - REACH_M).abs() < REACH_M * 0.001, "{d}");
    }
    let all =
        app.ok("{ serviceCircles(filter: { kinds: [MEAL_POINT] }) }", json!({}), None).await["serviceCircles"].clone();
    assert_eq!(all["type"], "FeatureCollection");
    assert_eq!(all["features"].as_array().unwrap().len(), w.facilities.iter().filter(|f| f.2 == "MEAL_POINT").count());
    let areas =
        app.ok("{ residentialAreaCoverage(input: {}) }", json!({}), None).await["residentialAreaCoverage"].clone();
    let features = areas["features"].as_array().unwrap();
    assert_eq!(features.len(), 80);
    for f in features {
        let a = w.areas.iter().find(|a| a.0 == f["properties"]["id"].as_str().unwrap()).unwrap();
        assert_eq!(f["properties"]["covered"], w.covered(a.1, &["MEAL_POINT", "DAY_CARE_CENTER"]));
    }
}

#[actix_web::test]
async fn travel_parameters_out_of_range_are_bad_user_input() {
    let app = TestApp::spawn().await;
    let reachable = "query($m: Float, $t: TravelInput) { reachableFacilities(from: { lon: 106.3, lat: 38.5 }, minutes: $m, travel: $t) { distanceMeters } }";
    let coverage = "query($i: CoverageInput!) { coverage(input: $i) { elderlyCoverageRatio } }";
    let sites = "query($n: Int!) { suggestSites(input: { coverage: {}, count: $n }) { elderlyCoverageRatioAfter } }";
    let cases: Vec<(&str, Value)> = vec![
        (reachable, json!({ "m": 0.0 })),
        (reachable, json!({ "m": 121.0 })),
        (reachable, json!({ "t": { "speedMetersPerSecond": 0.0 } })),
        (reachable, json!({ "t": { "speedMetersPerSecond": 11.0 } })),
        (reachable, json!({ "t": { "detourFactor": 0.5 } })),
        (reachable, json!({ "t": { "detourFactor": 3.5 } })),
        (reachable, json!({ "t": { "model": "NETWORK" } })),
        (coverage, json!({ "i": { "minutes": -1.0 } })),
        (coverage, json!({ "i": { "communityCodePrefix": "x" } })),
        (coverage, json!({ "i": { "within": { "type": "Point", "coordinates": [0, 0] } } })),
        (sites, json!({ "n": 0 })),
        (sites, json!({ "n": 51 })),
    ];
    for (q, v) in cases {
        let r = app.gql(q, v.clone(), None).await;
        assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{v}: {r}");
    }
}

#[actix_web::test]
async fn coverage_of_the_demo_district_is_consistent_with_its_parts() {
    let app = TestApp::spawn().await;
    api::demo::load(&app.store).await.unwrap();
    let q = r#"{ all: coverage(input: {}) { residentialAreas elderlyPopulation coveredElderlyPopulation elderlyCoverageRatio byCommunity(codeLength: 9) { coveredElderlyPopulation residentialAreas } }
               care: coverage(input: { filter: { categories: [ELDER_CARE] } }) { elderlyCoverageRatio } }"#;
    let data = app.ok(q, json!({}), None).await;
    assert_eq!(data["all"]["residentialAreas"], 2_000);
    let parts = data["all"]["byCommunity"].as_array().unwrap();
    assert_eq!(
        parts.iter().map(|p| p["coveredElderlyPopulation"].as_i64().unwrap()).sum::<i64>(),
        data["all"]["coveredElderlyPopulation"].as_i64().unwrap()
    );
    let all = data["all"]["elderlyCoverageRatio"].as_f64().unwrap();
    let care = data["care"]["elderlyCoverageRatio"].as_f64().unwrap();
    assert!(care <= all && all > 0.0 && all < 1.0, "{care} {all}");
}
