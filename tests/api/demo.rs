use crate::helpers::TestApp;
use serde_json::json;

#[actix_web::test]
async fn the_demo_data_set_has_the_district_report_counts_inside_xingqing() {
    let app = TestApp::spawn().await;
    let loaded = api::demo::load(&app.store).await.unwrap();
    assert_eq!(loaded.residential_areas, 2_000);
    // The counts the Xingqing district report gives.
    for (kind, count) in [
        ("SENIOR_ACTIVITY_CENTER", 105),
        ("MEAL_POINT", 47),
        ("RURAL_HAPPINESS_HOME", 31),
        ("DAY_CARE_CENTER", 23),
        ("OUTDOOR_WORKER_STATION", 180),
    ] {
        let data = app
            .ok(
                "query($k: FacilityKind!) { facilities(filter: { kinds: [$k] }) { totalCount } }",
                json!({ "k": kind }),
                None,
            )
            .await;
        assert_eq!(data["facilities"]["totalCount"], count, "{kind}");
    }
    let all =
        app.ok("{ facilities { totalCount } }", json!({}), None).await["facilities"]["totalCount"].as_i64().unwrap();
    let in_district = app
        .ok(r#"{ facilities(filter: { communityCodePrefix: "640104" }) { totalCount } }"#, json!({}), None)
        .await["facilities"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(all, loaded.facilities as i64);
    assert_eq!(in_district, all, "every facility has a Xingqing community code");
    // The nearest facility to the old city centre is close by.
    let hits = app
        .ok("{ nearbyFacilities(near: { lon: 106.28, lat: 38.47 }, limit: 1) { distanceMeters } }", json!({}), None)
        .await;
    assert!(hits["nearbyFacilities"][0]["distanceMeters"].as_f64().unwrap() < 3_000.0);
    // The example norm set, labelled as one, answers for the whole district.
    let norms = app
        .ok(
            r#"{ normSets { name description } normCompliance(normSet: "example-gb50180") { residentialAreas
                 requirements { label elderlyMeeting } } }"#,
            json!({}),
            None,
        )
        .await;
    assert!(norms["normSets"][0]["description"].as_str().unwrap().starts_with("EXAMPLE"));
    assert_eq!(norms["normCompliance"]["residentialAreas"], 2_000);
    let requirements = norms["normCompliance"]["requirements"].as_array().unwrap();
    assert_eq!(requirements.len(), 5);
    assert!(requirements.iter().all(|r| r["elderlyMeeting"].as_i64().unwrap() > 0), "{requirements:?}");

    // The synthetic walking network: NETWORK questions answer on the demo district, and walks
    // along its streets reach less than straight lines with the default detour factor promise.
    assert!(loaded.network_edges > 15_000, "{}", loaded.network_edges);
    let q = r#"{ network: coverage(input: { filter: { categories: [ELDER_CARE] }, travel: { model: NETWORK } }) { elderlyCoverageRatio }
                 line: coverage(input: { filter: { categories: [ELDER_CARE] }, travel: { model: STRAIGHT_LINE } }) { elderlyCoverageRatio }
                 grid: travelTimeGrid(scope: { communityCodePrefix: "640104003" }, resolution: 8, travel: { model: NETWORK }) { cells { reach model } }
                 facilities(first: 3) { edges { node { serviceCircle(travel: { model: NETWORK }) } } } }"#;
    let net = app.ok(q, json!({}), None).await;
    let (network, line) = (
        net["network"]["elderlyCoverageRatio"].as_f64().unwrap(),
        net["line"]["elderlyCoverageRatio"].as_f64().unwrap(),
    );
    assert!(network > 0.05 && network < 1.0, "{network}");
    assert!((network - line).abs() < 0.25, "NETWORK {network} vs STRAIGHT_LINE {line}");
    let cells = net["grid"]["cells"].as_array().unwrap();
    assert!(cells.iter().filter(|c| c["reach"] == "REACHED" && c["model"] == "NETWORK").count() > cells.len() / 2);
    for edge in net["facilities"]["edges"].as_array().unwrap() {
        let kind = edge["node"]["serviceCircle"]["type"].as_str().unwrap();
        assert!(kind == "Polygon" || kind == "MultiPolygon", "{kind}");
    }
}
