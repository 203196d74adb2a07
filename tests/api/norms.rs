//! Life-circle norms (issue 14, item 2): norm sets loaded by an admin, and compliance with them
//! checked against a brute force computed here from the definition: every facility against
//! every area, geodesic distances from the `geo` crate (the accessibility test's world).

use crate::accessibility::{Area, Facility, brute_force, minutes, world};
use crate::helpers::{TestApp, error_codes};
use api::domain::role::Role;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const LOAD: &str = r#"mutation($name: String!, $description: String, $circles: [NormCircleInput!]!) {
    loadNorms(name: $name, description: $description, circles: $circles) {
        name description version circles { minutes requirements { label categories kinds placesPer1000Elderly supply } } } }"#;

const COMPLIANCE: &str = r#"query($set: String!, $scope: ScopeInput) { normCompliance(normSet: $set, scope: $scope) {
    normSet { name version } residentialAreas elderlyPopulation elderlyMeetingAll shareOfElderlyMeetingAll
    requirements { label minutes areasMeeting elderlyMeeting shareOfElderlyMeeting }
    areas { residentialAreaId elderlyPopulation communityCode meetsAll unmet }
    communities { communityCode residentialAreas elderlyPopulation elderlyMeetingAll shareOfElderlyMeetingAll
                  requirements { label areasMeeting elderlyMeeting shareOfElderlyMeeting } }
    features } }"#;

const PLACES: f64 = 20.0;

fn local_norms() -> Value {
    json!({
        "name": "local",
        "description": "test norms",
        "circles": [
            // Given out of order: the set comes back nearest circle first.
            { "minutes": 15, "requirements": [
                { "label": "day-care places", "kinds": ["DAY_CARE_CENTER"], "placesPer1000Elderly": PLACES } ] },
            { "minutes": 12, "requirements": [ { "label": "meals", "kinds": ["MEAL_POINT"] } ] },
            { "minutes": 6, "requirements": [ { "label": "care", "categories": ["ELDER_CARE"] } ] },
        ]
    })
}

/// Whether each area meets each requirement of `local_norms` (nearest circle first), by the
/// definition.
fn expected(facilities: &[Facility], areas: &[Area]) -> Vec<[bool; 3]> {
    let day_care = |f: &Facility| if f.kind == "DAY_CARE_CENTER" { f.capacity } else { None };
    let scores = brute_force(facilities, areas, day_care, &[(15.0, 1.0)]);
    let reaches =
        |a: &Area, kind: &str, within: f64| facilities.iter().any(|f| f.kind == kind && minutes(f.at, a.at) <= within);
    areas
        .iter()
        .zip(scores)
        .map(|(a, (score, _))| [reaches(a, "DAY_CARE_CENTER", 6.0), reaches(a, "MEAL_POINT", 12.0), score >= PLACES])
        .collect()
}

const LABELS: [&str; 3] = ["care", "meals", "day-care places"];

fn share(part: i64, whole: i64) -> f64 {
    if whole > 0 { part as f64 / whole as f64 } else { 0.0 }
}

#[actix_web::test]
async fn compliance_equals_the_definition_computed_by_brute_force() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let (facilities, areas) = world(&app, 21).await;
    let loaded = app.ok(LOAD, local_norms(), Some(&admin)).await["loadNorms"].clone();
    assert_eq!(loaded["version"], 1);
    let minutes_order: Vec<f64> =
        loaded["circles"].as_array().unwrap().iter().map(|c| c["minutes"].as_f64().unwrap()).collect();
    assert_eq!(minutes_order, [6.0, 12.0, 15.0]);
    assert_eq!(loaded["circles"][2]["requirements"][0]["supply"], "CAPACITY", "the default supply");
    assert_eq!(loaded["circles"][1]["requirements"][0]["categories"], json!([]));

    let verdicts = expected(&facilities, &areas);
    // Every requirement is met by some areas and missed by others: the comparison can fail.
    for (r, label) in LABELS.iter().enumerate() {
        let met = verdicts.iter().filter(|v| v[r]).count();
        assert!(met > 0 && met < areas.len(), "{label}: {met} of {}", areas.len());
    }
    for prefix in [None, Some("640104001")] {
        let scope = prefix.map(|p| json!({ "communityCodePrefix": p }));
        let got = app.ok(COMPLIANCE, json!({ "set": "local", "scope": scope }), None).await["normCompliance"].clone();
        let in_scope: Vec<usize> =
            (0..areas.len()).filter(|&i| prefix.is_none_or(|p| areas[i].code.starts_with(p))).collect();
        assert_eq!(got["normSet"]["name"], "local");
        assert_eq!(got["residentialAreas"], in_scope.len());
        // Per area: the requirements it misses, by label, nearest circle first.
        let by_id: BTreeMap<&str, &Value> =
            got["areas"].as_array().unwrap().iter().map(|a| (a["residentialAreaId"].as_str().unwrap(), a)).collect();
        assert_eq!(by_id.len(), in_scope.len());
        for &i in &in_scope {
            let a = by_id[areas[i].id.as_str()];
            let unmet: Vec<&str> = (0..3).filter(|&r| !verdicts[i][r]).map(|r| LABELS[r]).collect();
            assert_eq!(a["unmet"], json!(unmet), "area {i}");
            assert_eq!(a["meetsAll"], unmet.is_empty(), "area {i}");
        }
        // In all and per community.
        let mut communities: BTreeMap<&str, (i64, i64, i64, [i64; 3])> = BTreeMap::new();
        let (mut elderly, mut all, mut per) = (0, 0, [0i64; 3]);
        for &i in &in_scope {
            let e = areas[i].elderly;
            let c = communities.entry(areas[i].code.as_str()).or_default();
            c.0 += 1;
            c.1 += e;
            elderly += e;
            if verdicts[i].iter().all(|&m| m) {
                c.2 += e;
                all += e;
            }
            for r in 0..3 {
                if verdicts[i][r] {
                    c.3[r] += e;
                    per[r] += e;
                }
            }
        }
        assert_eq!(got["elderlyPopulation"], elderly);
        assert_eq!(got["elderlyMeetingAll"], all);
        assert!((got["shareOfElderlyMeetingAll"].as_f64().unwrap() - share(all, elderly)).abs() < 1e-12);
        for r in 0..3 {
            let req = &got["requirements"][r];
            assert_eq!(req["label"], LABELS[r]);
            assert_eq!(req["minutes"], [6.0, 12.0, 15.0][r]);
            assert_eq!(req["elderlyMeeting"], per[r], "{}", LABELS[r]);
            assert_eq!(req["areasMeeting"], in_scope.iter().filter(|&&i| verdicts[i][r]).count());
        }
        let listed = got["communities"].as_array().unwrap();
        assert_eq!(listed.len(), communities.len());
        let mut previous = f64::NEG_INFINITY;
        for c in listed {
            let code = c["communityCode"].as_str().unwrap();
            let (n, e, m, per) = communities[code];
            assert_eq!((c["residentialAreas"].as_i64(), c["elderlyPopulation"].as_i64()), (Some(n), Some(e)), "{code}");
            assert_eq!(c["elderlyMeetingAll"], m, "{code}");
            let s = c["shareOfElderlyMeetingAll"].as_f64().unwrap();
            assert!((s - share(m, e)).abs() < 1e-12, "{code}");
            assert!(s >= previous, "worst first: {listed:?}");
            previous = s;
            for r in 0..3 {
                assert_eq!(c["requirements"][r]["elderlyMeeting"], per[r], "{code} {}", LABELS[r]);
            }
        }
        let features = got["features"]["features"].as_array().unwrap();
        assert_eq!(features.len(), in_scope.len());
        for f in features {
            let id = f["properties"]["id"].as_str().unwrap();
            assert_eq!(f["properties"]["meetsAll"], by_id[id]["meetsAll"]);
            assert_eq!(f["properties"]["unmet"], by_id[id]["unmet"]);
        }
    }
}

#[actix_web::test]
async fn norm_sets_refuse_bad_input_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let editor = app.token(Role::Editor).await;
    world(&app, 22).await;
    app.ok(LOAD, local_norms(), Some(&admin)).await;
    let stored = || async {
        app.ok("{ normSets { name version description circles { requirements { label } } } }", json!({}), None).await
    };
    let before = stored().await;
    assert_eq!(before["normSets"][0]["version"], 1);
    let req = |label: &str| json!({ "label": label, "categories": ["CANTEEN"] });
    let broken = [
        ("no circles", json!([]), "at least one circle"),
        ("a circle without requirements", json!([{ "minutes": 5, "requirements": [] }]), "no requirements"),
        ("no facilities named", json!([{ "minutes": 5, "requirements": [{ "label": "x" }] }]), "names no facilities"),
        (
            "a label twice",
            json!([{ "minutes": 5, "requirements": [req("x")] }, { "minutes": 9, "requirements": [req("x")] }]),
            "twice",
        ),
        ("zero minutes", json!([{ "minutes": 0, "requirements": [req("x")] }]), "minutes"),
        ("too many minutes", json!([{ "minutes": 500, "requirements": [req("x")] }]), "minutes"),
        (
            "negative places",
            json!([{ "minutes": 5, "requirements": [{ "label": "x", "kinds": ["MEAL_POINT"], "placesPer1000Elderly": -3 }] }]),
            "placesPer1000Elderly",
        ),
    ];
    for (what, circles, says) in broken {
        let r = app.gql(LOAD, json!({ "name": "local", "circles": circles }), Some(&admin)).await;
        assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{what}: {r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains(says), "{what}: {r}");
    }
    let r = app
        .gql(LOAD, json!({ "name": "  ", "circles": [{ "minutes": 5, "requirements": [req("x")] }] }), Some(&admin))
        .await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{r}");
    let r = app.gql(LOAD, local_norms(), Some(&editor)).await;
    assert_eq!(error_codes(&r), ["FORBIDDEN"]);
    assert_eq!(stored().await, before, "nothing was written");

    // An unknown set, a bad scope.
    let r = app.gql(COMPLIANCE, json!({ "set": "nope" }), None).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("no norm set is named \"nope\""), "{r}");
    let r = app.gql(COMPLIANCE, json!({ "set": "local", "scope": { "communityCodePrefix": "64x" } }), None).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{r}");

    // Places asked of a supply no facility states: said, not divided by zero.
    let seats = json!({ "name": "seats", "circles": [{ "minutes": 15, "requirements": [
        { "label": "canteen seats", "kinds": ["MEAL_POINT"], "placesPer1000Elderly": 10, "supply": "SEATS" } ] }] });
    app.ok(LOAD, seats, Some(&admin)).await;
    let r = app.gql(COMPLIANCE, json!({ "set": "seats" }), None).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{r}");
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("canteen seats") && message.contains("seats (canteen.seats)"), "{message}");

    // Loading a name again replaces the set; compliance then checks the new one.
    let mut changed = local_norms();
    changed["circles"] = json!([{ "minutes": 10, "requirements": [req("canteen")] }]);
    let replaced = app.ok(LOAD, changed, Some(&admin)).await;
    assert_eq!(replaced["loadNorms"]["version"], 2);
    let got = app.ok(COMPLIANCE, json!({ "set": "local" }), None).await;
    let labels: Vec<&Value> =
        got["normCompliance"]["requirements"].as_array().unwrap().iter().map(|r| &r["label"]).collect();
    assert_eq!(labels, [&json!("canteen")]);
    assert_eq!(got["normCompliance"]["normSet"]["version"], 2);

    // Removed, it is gone; removing it again removes nothing.
    let removed = app.ok(r#"mutation { removeNorms(name: "local") }"#, json!({}), Some(&admin)).await;
    assert_eq!(removed["removeNorms"], true);
    let r = app.gql(COMPLIANCE, json!({ "set": "local" }), None).await;
    assert_eq!(error_codes(&r), ["BAD_USER_INPUT"]);
    let again = app.ok(r#"mutation { removeNorms(name: "local") }"#, json!({}), Some(&admin)).await;
    assert_eq!(again["removeNorms"], false);
    let names = app.ok("{ normSets { name } }", json!({}), None).await;
    assert_eq!(names["normSets"], json!([{ "name": "seats" }]));
}
