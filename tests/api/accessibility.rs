//! E2SFCA accessibility (issue 14, item 1) against a brute force computed here from the
//! definition (Luo & Qi 2009), independently of the service's geo code: every pair of a
//! facility and an area, geodesic distances from the `geo` crate.

use crate::helpers::{TestApp, error_codes};
use api::domain::role::Role;
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Straight-line minutes at the elderly walking speed (0.75 m/s) with a detour factor of 1.3.
pub(crate) fn minutes(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1)) * 1.3 / 0.75 / 60.0
}

pub(crate) struct Facility {
    pub(crate) at: (f64, f64),
    pub(crate) kind: &'static str,
    pub(crate) capacity: Option<i64>,
    pub(crate) beds: Option<i64>,
}

pub(crate) struct Area {
    pub(crate) id: String,
    pub(crate) at: (f64, f64),
    pub(crate) elderly: i64,
    pub(crate) code: String,
}

/// 25 meal points and day-care centers (most with a capacity, some day care with beds) and 120
/// residential areas in four communities, at random in a few kilometres of Yinchuan.
pub(crate) async fn world(app: &TestApp, seed: u64) -> (Vec<Facility>, Vec<Area>) {
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(seed);
    let create = "mutation($input: CreateFacilityInput!) { createFacility(input: $input) { id } }";
    let mut facilities = Vec::new();
    for i in 0..25 {
        let at = (rng.random_range(106.25..106.30), rng.random_range(38.45..38.49));
        let kind = if i % 4 == 0 { "MEAL_POINT" } else { "DAY_CARE_CENTER" };
        // One in five states no capacity; elder care states beds half of the time.
        let capacity = (i % 5 != 0).then(|| rng.random_range(5..80));
        let beds = (kind == "DAY_CARE_CENTER" && rng.random_bool(0.5)).then(|| rng.random_range(0..40));
        let mut input = json!({ "kind": kind, "name": format!("设施{i}"), "location": { "lon": at.0, "lat": at.1 },
                                "capacity": capacity });
        if let Some(beds) = beds {
            input["elderCare"] = json!({ "beds": beds });
        }
        app.ok(create, json!({ "input": input }), Some(&editor)).await;
        facilities.push(Facility { at, kind, capacity, beds });
    }
    let q = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let mut areas = Vec::new();
    for i in 0..120 {
        let at = (rng.random_range(106.24..106.31), rng.random_range(38.44..38.50));
        let population = rng.random_range(100..2_000);
        // Some areas have no elderly: they add no demand but still get a score.
        let elderly = if i % 9 == 0 { 0 } else { rng.random_range(1..population / 3 + 2) };
        let code = format!("640104{:03}{:03}", 1 + i % 2, 1 + i % 4);
        let input = json!({ "name": format!("小区{i}"), "location": { "lon": at.0, "lat": at.1 },
                            "population": population, "elderlyPopulation": elderly, "communityCode": code });
        let id = app.ok(q, json!({ "input": input }), Some(&editor)).await["createResidentialArea"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        areas.push(Area { id, at, elderly, code });
    }
    (facilities, areas)
}

/// The E2SFCA scores (places per 1,000 elderly) and facilities reached of every area, by the
/// definition: every facility with supply against every area.
pub(crate) fn brute_force(
    facilities: &[Facility],
    areas: &[Area],
    supply: impl Fn(&Facility) -> Option<i64>,
    zones: &[(f64, f64)],
) -> Vec<(f64, u32)> {
    let weight = |t: f64| zones.iter().find(|z| t <= z.0).map_or(0.0, |z| z.1);
    let ratios: Vec<Option<f64>> = facilities
        .iter()
        .map(|f| {
            let s = supply(f)? as f64;
            let demand: f64 = areas.iter().map(|a| a.elderly as f64 * weight(minutes(f.at, a.at))).sum();
            (demand > 0.0).then(|| s / demand)
        })
        .collect();
    areas
        .iter()
        .map(|a| {
            let mut score = 0.0;
            let mut reached = 0;
            for (f, r) in facilities.iter().zip(&ratios) {
                let w = weight(minutes(f.at, a.at));
                if let Some(r) = r
                    && w > 0.0
                {
                    score += r * w;
                    reached += 1;
                }
            }
            (score * 1_000.0, reached)
        })
        .collect()
}

/// An input, which number of a facility the brute force counts as its places, and the zones.
struct Case {
    input: Value,
    supply: fn(&Facility) -> Option<i64>,
    zones: &'static [(f64, f64)],
}

const LUO_QI: [(f64, f64); 3] = [(5.0, 1.0), (10.0, 0.68), (15.0, 0.22)];
const CUSTOM: [(f64, f64); 3] = [(4.0, 1.0), (8.0, 0.5), (20.0, 0.1)];

const QUERY: &str = r#"query($input: AccessibilityInput!) { accessibility(input: $input) {
    threshold facilitiesCounted facilitiesWithoutSupply zones { upToMinutes weight }
    areas { residentialAreaId score facilitiesReached belowThreshold elderlyPopulation communityCode }
    communities { communityCode residentialAreas elderlyPopulation meanScore elderlyBelowThreshold shareBelowThreshold placesMissing }
    features } }"#;

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(1e-12)
}

#[actix_web::test]
async fn accessibility_scores_equal_the_definition_computed_by_brute_force() {
    let app = TestApp::spawn().await;
    let (facilities, areas) = world(&app, 14).await;
    let cases = [
        Case { input: json!({ "coverage": {} }), supply: |f| f.capacity, zones: &LUO_QI },
        Case {
            input: json!({ "coverage": { "filter": { "kinds": ["DAY_CARE_CENTER"] } }, "supply": "BEDS", "threshold": 20 }),
            supply: |f| if f.kind == "DAY_CARE_CENTER" { f.beds } else { None },
            zones: &LUO_QI,
        },
        Case {
            input: json!({ "coverage": {}, "zones": CUSTOM.iter().map(|z| json!({ "upToMinutes": z.0, "weight": z.1 })).collect::<Vec<_>>() }),
            supply: |f| f.capacity,
            zones: &CUSTOM,
        },
    ];
    for Case { input, supply, zones } in cases {
        let a = app.ok(QUERY, json!({ "input": input }), None).await["accessibility"].clone();
        let want = brute_force(&facilities, &areas, supply, zones);
        let got = a["areas"].as_array().unwrap();
        assert_eq!(got.len(), areas.len(), "{input}");
        let threshold = a["threshold"].as_f64().unwrap();
        let mut any_positive = 0;
        for ((g, w), area) in got.iter().zip(&want).zip(&areas) {
            assert_eq!(g["residentialAreaId"], area.id.as_str());
            let score = g["score"].as_f64().unwrap();
            assert!(close(score, w.0), "{input}: area {} scored {score}, by definition {}", area.id, w.0);
            assert_eq!(g["facilitiesReached"], w.1, "{input}");
            assert_eq!(g["belowThreshold"], w.0 < threshold);
            any_positive += usize::from(w.0 > 0.0);
        }
        assert!(any_positive > 5 && any_positive < areas.len(), "{input}: the world must test both: {any_positive}");
        let with_supply = facilities.iter().filter(|f| supply(f).is_some()).count();
        // Every facility is within reach of the scope here (the areas surround them).
        assert_eq!(a["facilitiesCounted"], with_supply, "{input}");
        let zones_back: Vec<(f64, f64)> = a["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| (z["upToMinutes"].as_f64().unwrap(), z["weight"].as_f64().unwrap()))
            .collect();
        assert_eq!(zones_back, zones);

        // Per community, from the per-area figures of the definition.
        let mut groups: BTreeMap<&str, (i64, i64, f64, i64, f64)> = BTreeMap::new();
        for (area, w) in areas.iter().zip(&want) {
            let g = groups.entry(area.code.as_str()).or_default();
            g.0 += 1;
            g.1 += area.elderly;
            g.2 += w.0 * area.elderly as f64;
            if w.0 < threshold {
                g.3 += area.elderly;
                g.4 += (threshold - w.0) * area.elderly as f64 / 1_000.0;
            }
        }
        let communities = a["communities"].as_array().unwrap();
        assert_eq!(communities.len(), groups.len());
        for (c, (code, g)) in communities.iter().zip(&groups) {
            assert_eq!(c["communityCode"], *code);
            assert_eq!(c["residentialAreas"], g.0);
            assert_eq!(c["elderlyPopulation"], g.1);
            assert!(close(c["meanScore"].as_f64().unwrap(), g.2 / g.1 as f64), "{c}");
            assert_eq!(c["elderlyBelowThreshold"], g.3);
            assert!(close(c["shareBelowThreshold"].as_f64().unwrap(), g.3 as f64 / g.1 as f64), "{c}");
            assert!(close(c["placesMissing"].as_f64().unwrap(), g.4), "{c}");
        }
        // The GeoJSON features carry the same scores.
        let features = a["features"]["features"].as_array().unwrap();
        assert_eq!(features.len(), areas.len());
        for (f, g) in features.iter().zip(got) {
            assert_eq!(f["properties"]["score"], g["score"]);
            assert_eq!(f["properties"]["id"], g["residentialAreaId"]);
        }
    }

    // Scope: a community code prefix scores only its areas, each as in the whole question (the
    // facilities they reach are shared with the areas outside the scope too).
    let whole = brute_force(&facilities, &areas, |f| f.capacity, &LUO_QI);
    let input = json!({ "coverage": { "communityCodePrefix": "640104001" } });
    let a = app.ok(QUERY, json!({ "input": input }), None).await["accessibility"].clone();
    let inside: Vec<(&Area, &(f64, u32))> =
        areas.iter().zip(&whole).filter(|(a, _)| a.code.starts_with("640104001")).collect();
    let got = a["areas"].as_array().unwrap();
    assert_eq!(got.len(), inside.len());
    assert!(inside.len() < areas.len());
    for (g, (area, w)) in got.iter().zip(&inside) {
        assert_eq!(g["residentialAreaId"], area.id.as_str());
        let score = g["score"].as_f64().unwrap();
        assert!(close(score, w.0), "area {} scored {score} in its street, {} in the whole", area.id, w.0);
    }
}

#[actix_web::test]
async fn accessibility_refuses_what_it_cannot_answer_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let create = "mutation($input: CreateFacilityInput!) { createFacility(input: $input) { id } }";
    let input = json!({ "kind": "MEAL_POINT", "name": "助餐点", "location": { "lon": 106.27, "lat": 38.47 } });
    app.ok(create, json!({ "input": input }), Some(&editor)).await;
    let q = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let input = json!({ "name": "小区", "location": { "lon": 106.271, "lat": 38.471 }, "population": 500, "elderlyPopulation": 100 });
    app.ok(q, json!({ "input": input }), Some(&editor)).await;
    let query =
        "query($input: AccessibilityInput!) { accessibility(input: $input) { facilitiesCounted areas { score } } }";
    let refused = |input: Value| {
        let app = &app;
        async move {
            let answer = app.gql(query, json!({ "input": input }), None).await;
            assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer}");
            answer["errors"][0]["message"].as_str().unwrap().to_owned()
        }
    };
    // The only facility within reach states no capacity: said so, no division by zero.
    let message = refused(json!({ "coverage": {} })).await;
    assert!(message.contains("capacity"), "{message}");
    for zones in [
        json!([]),
        json!([{ "upToMinutes": 10, "weight": 1 }, { "upToMinutes": 5, "weight": 0.5 }]),
        json!([{ "upToMinutes": 10, "weight": 2 }]),
        json!([{ "upToMinutes": 130, "weight": 1 }]),
    ] {
        refused(json!({ "coverage": {}, "zones": zones })).await;
    }
    refused(json!({ "coverage": {}, "threshold": -1 })).await;
    // The cost counts the longest zone, not the budget: two questions whose zones reach 120
    // minutes are over the default budget, the same with 15-minute zones is not.
    let twice = |up_to: u32| {
        let one = format!(
            "accessibility(input: {{ coverage: {{}}, zones: [{{ upToMinutes: {up_to}, weight: 1 }}] }}) {{ facilitiesCounted }}"
        );
        format!("{{ a: {one} b: {one} }}")
    };
    let far = app.gql(&twice(120), json!({}), None).await;
    assert_eq!(error_codes(&far), ["GRAPHQL_VALIDATION_FAILED"], "{far}");
    assert!(far["errors"][0]["extensions"]["cost"].as_u64().unwrap() > 10_000, "{far}");
    let near = app.gql(&twice(15), json!({}), None).await;
    assert!(error_codes(&near).iter().all(|c| c == "BAD_USER_INPUT"), "{near}");
    // Nothing was written: the same areas and facilities, and with no facility counted the
    // areas score zero.
    let none =
        app.ok(query, json!({ "input": { "coverage": { "filter": { "kinds": ["DAY_CARE_CENTER"] } } } }), None).await;
    assert_eq!(none["accessibility"], json!({ "facilitiesCounted": 0, "areas": [{ "score": 0.0 }] }));
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
}
