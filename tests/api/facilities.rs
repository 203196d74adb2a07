use crate::helpers::{CREATE_FACILITY, TestApp, error_codes};
use api::domain::role::Role;
use serde_json::{Value, json};

const READ: &str = concat!("query($id: ID!) { facility(id: $id) { ...AllFields } }", crate::all_facility_fields!());

const UPDATE: &str = r#"
mutation($id: ID!, $version: Int!, $input: UpdateFacilityInput!) {
  updateFacility(id: $id, version: $version, input: $input) {
    id name address phone capacity services version kind category location { lon lat }
    canteen { halal meals } elderCare { beds } restStation { open24Hours }
  }
}"#;

const DELETE: &str = "mutation($id: ID!, $version: Int!) { deleteFacility(id: $id, version: $version) }";

fn details_for(kind: &str) -> (&'static str, Value) {
    match kind {
        "COMMUNITY_CANTEEN" | "MEAL_POINT" | "PARTNER_RESTAURANT" => (
            "canteen",
            json!({ "meals": ["LUNCH", "DINNER"], "seats": 40, "basePriceYuan": 12.0,
                    "agePrices": [{ "minAge": 60, "maxAge": 69, "priceYuan": 7.0 },
                                  { "minAge": 70, "maxAge": 89, "priceYuan": 5.0 },
                                  { "minAge": 90, "maxAge": null, "priceYuan": 0.0 }],
                    "diets": ["LOW_SALT", "SOFT_FOOD"], "halal": true, "delivery": true,
                    "deliveryFeeYuan": 2.0, "operator": "兴庆区民政局" }),
        ),
        "OUTDOOR_WORKER_STATION" | "ENTERPRISE_CARE_POINT" => (
            "restStation",
            json!({ "amenities": ["HOT_WATER", "TEA", "EBIKE_CHARGING", "TOILET", "CAR_WASH"], "access": "QR_CODE",
                    "open24Hours": true, "targetGroups": ["SANITATION", "DELIVERY"], "mobile": false }),
        ),
        _ => (
            "elderCare",
            json!({ "beds": 30, "dayCarePlaces": 20, "careServices": ["MEALS", "REHABILITATION", "COUNSELLING"],
                    "floorAreaSquareMeters": 850.5 }),
        ),
    }
}

const KINDS: [(&str, &str); 10] = [
    ("COMMUNITY_CANTEEN", "CANTEEN"),
    ("MEAL_POINT", "CANTEEN"),
    ("PARTNER_RESTAURANT", "CANTEEN"),
    ("DAY_CARE_CENTER", "ELDER_CARE"),
    ("SENIOR_ACTIVITY_CENTER", "ELDER_CARE"),
    ("RURAL_HAPPINESS_HOME", "ELDER_CARE"),
    ("NURSING_HOME", "ELDER_CARE"),
    ("COMMUNITY_CARE_STATION", "ELDER_CARE"),
    ("OUTDOOR_WORKER_STATION", "REST_STATION"),
    ("ENTERPRISE_CARE_POINT", "REST_STATION"),
];

#[actix_web::test]
async fn every_kind_round_trips_with_its_details_through_create_read_update_and_delete() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    for (i, (kind, category)) in KINDS.into_iter().enumerate() {
        let (details_field, details) = details_for(kind);
        let input = json!({
            "kind": kind, "name": format!("设施 {i}"), "location": { "lon": 106.27 + i as f64 * 0.001, "lat": 38.47 },
            "address": "银川市兴庆区解放东街 1 号", "communityCode": "640104001001",
            "openingHours": "Mo-Fr 08:00-18:00", "phone": "0951-6012345", "capacity": 25,
            "services": ["HOT_WATER", "TEA", "HOT_WATER"], details_field: details,
        });
        let created = app.ok(CREATE_FACILITY, json!({ "input": input }), Some(&editor)).await["createFacility"].clone();
        assert_eq!(created["kind"], kind);
        assert_eq!(created["category"], category);
        assert_eq!(created["version"], 1);
        assert_eq!(created["services"], json!(["HOT_WATER", "TEA"]), "order kept, repeats dropped");
        assert_eq!(created[details_field], details, "{kind} details read back as given");
        for other in ["canteen", "elderCare", "restStation"].into_iter().filter(|f| *f != details_field) {
            assert!(created[other].is_null());
        }
        let id = created["id"].as_str().unwrap();
        let read = app.ok(READ, json!({ "id": id }), None).await["facility"].clone();
        assert_eq!(read, created, "a read returns what the create returned");

        let updated = app
            .ok(
                UPDATE,
                json!({ "id": id, "version": 1, "input": { "name": "新名字", "address": null, "capacity": 60 } }),
                Some(&editor),
            )
            .await["updateFacility"]
            .clone();
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["name"], "新名字");
        assert!(updated["address"].is_null(), "null clears a field");
        assert_eq!(updated["capacity"], 60);
        assert_eq!(updated["phone"], "0951-6012345", "fields left out stay");
        assert_eq!(updated["services"], json!(["HOT_WATER", "TEA"]));
        let read = app.ok(READ, json!({ "id": id }), None).await["facility"].clone();
        assert_eq!(read[details_field], details, "details survive an update that does not mention them");
        assert!(read["updatedAt"].as_str().unwrap() >= read["createdAt"].as_str().unwrap());

        assert_eq!(app.ok(DELETE, json!({ "id": id, "version": 2 }), Some(&editor)).await["deleteFacility"], true);
        assert!(app.ok(READ, json!({ "id": id }), None).await["facility"].is_null());

        let history = app
            .ok(
                "query($id: ID!) { facilityHistory(id: $id) { action actor facility { name version address } } }",
                json!({ "id": id }),
                Some(&admin),
            )
            .await["facilityHistory"]
            .clone();
        assert_eq!(
            history,
            json!([
                { "action": "UPDATE", "actor": "test-editor", "facility": { "name": format!("设施 {i}"), "version": 1, "address": "银川市兴庆区解放东街 1 号" } },
                { "action": "DELETE", "actor": "test-editor", "facility": { "name": "新名字", "version": 2, "address": null } },
            ])
        );
    }
}

#[actix_web::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let id = crate::helpers::create_at(&app, &editor, "MEAL_POINT", 106.3, 38.5).await;
    app.ok(UPDATE, json!({ "id": id, "version": 1, "input": { "name": "first" } }), Some(&editor)).await;
    let stale = app.gql(UPDATE, json!({ "id": id, "version": 1, "input": { "name": "second" } }), Some(&editor)).await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    let stale_delete = app.gql(DELETE, json!({ "id": id, "version": 1 }), Some(&editor)).await;
    assert_eq!(error_codes(&stale_delete), ["CONFLICT"]);
    let read = app.ok(READ, json!({ "id": id }), None).await;
    assert_eq!(read["facility"]["name"], "first");
    assert_eq!(read["facility"]["version"], 2);
}

#[actix_web::test]
async fn updating_or_deleting_a_missing_or_deleted_facility_is_not_found() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let id = crate::helpers::create_at(&app, &editor, "MEAL_POINT", 106.3, 38.5).await;
    app.ok(DELETE, json!({ "id": id, "version": 1 }), Some(&editor)).await;
    let again = app.gql(DELETE, json!({ "id": id, "version": 1 }), Some(&editor)).await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);
    let update = app.gql(UPDATE, json!({ "id": id, "version": 1, "input": { "name": "x" } }), Some(&editor)).await;
    assert_eq!(error_codes(&update), ["NOT_FOUND"]);
}

#[actix_web::test]
async fn unset_optional_fields_read_back_as_null_not_empty_strings() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let input = json!({ "kind": "NURSING_HOME", "name": "养老院", "location": { "lon": 106.3, "lat": 38.5 }, "address": "  ", "phone": "" });
    let f = app.ok(CREATE_FACILITY, json!({ "input": input }), Some(&editor)).await["createFacility"].clone();
    for field in
        ["address", "communityCode", "openingHours", "phone", "capacity", "elderCare", "canteen", "restStation"]
    {
        assert!(f[field].is_null(), "{field} is {}", f[field]);
    }
    assert_eq!(f["services"], json!([]));
}

#[actix_web::test]
async fn changing_the_kind_to_another_category_swaps_the_details() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let input = json!({ "kind": "MEAL_POINT", "name": "助餐点", "location": { "lon": 106.3, "lat": 38.5 }, "canteen": { "halal": true } });
    let id = app.ok(CREATE_FACILITY, json!({ "input": input }), Some(&editor)).await["createFacility"]["id"].clone();
    let wrong = app
        .gql(
            UPDATE,
            json!({ "id": id, "version": 1, "input": { "restStation": { "open24Hours": true } } }),
            Some(&editor),
        )
        .await;
    assert_eq!(error_codes(&wrong), ["BAD_USER_INPUT"], "rest-station details on a canteen");
    let changed = app
        .ok(UPDATE, json!({ "id": id, "version": 1, "input": { "kind": "OUTDOOR_WORKER_STATION", "restStation": { "open24Hours": true } } }), Some(&editor))
        .await["updateFacility"]
        .clone();
    assert_eq!(changed["category"], "REST_STATION");
    assert!(changed["canteen"].is_null());
    assert_eq!(changed["restStation"]["open24Hours"], true);
}

#[actix_web::test]
async fn locations_given_in_gcj02_or_bd09_are_stored_as_wgs84() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    // Published test vector: WGS-84 (116.404, 39.915) is GCJ-02 (116.41024449916938, 39.91640428150164).
    let input = json!({ "kind": "DAY_CARE_CENTER", "name": "北京", "location": { "lon": 116.41024449916938, "lat": 39.91640428150164, "crs": "GCJ02" } });
    let id = app.ok(CREATE_FACILITY, json!({ "input": input }), Some(&editor)).await["createFacility"]["id"].clone();
    let q = "query($id: ID!) { facility(id: $id) { wgs: location { lon lat } gcj: location(crs: GCJ02) { lon lat } bd: location(crs: BD09) { lon lat } } }";
    let f = app.ok(q, json!({ "id": id }), None).await["facility"].clone();
    // 1e-7 degrees is about 1 cm.
    assert!((f["wgs"]["lon"].as_f64().unwrap() - 116.404).abs() < 1e-7, "{f}");
    assert!((f["wgs"]["lat"].as_f64().unwrap() - 39.915).abs() < 1e-7, "{f}");
    assert!((f["gcj"]["lon"].as_f64().unwrap() - 116.41024449916938).abs() < 1e-9);
    assert!((f["gcj"]["lat"].as_f64().unwrap() - 39.91640428150164).abs() < 1e-9);
    // BD-09 given back in BD-09 lands on the same WGS-84 point.
    let bd = f["bd"].clone();
    let input = json!({ "kind": "DAY_CARE_CENTER", "name": "百度", "location": { "lon": bd["lon"], "lat": bd["lat"], "crs": "BD09" } });
    let again =
        app.ok(CREATE_FACILITY, json!({ "input": input }), Some(&editor)).await["createFacility"]["location"].clone();
    assert!(
        (again["lon"].as_f64().unwrap() - 116.404).abs() < 1e-7
            && (again["lat"].as_f64().unwrap() - 39.915).abs() < 1e-7
    );
}

#[actix_web::test]
async fn residential_areas_are_created_and_read_back() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let q = r#"mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id name population elderlyPopulation communityCode location { lon lat } } }"#;
    let input = json!({ "name": "丽景花园", "location": { "lon": 106.28, "lat": 38.47 }, "population": 3200, "elderlyPopulation": 640, "communityCode": "640104003002" });
    let created = app.ok(q, json!({ "input": input }), Some(&editor)).await["createResidentialArea"].clone();
    assert_eq!(created["population"], 3200);
    assert_eq!(created["elderlyPopulation"], 640);
    let read = app
        .ok("query($id: ID!) { residentialArea(id: $id) { id name population elderlyPopulation communityCode location { lon lat } } }", json!({ "id": created["id"] }), None)
        .await;
    assert_eq!(read["residentialArea"], created);
}

#[actix_web::test]
async fn admins_restore_deleted_and_overwritten_facilities_from_history() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    let restore = "mutation($id: ID!, $to: Int!, $v: Int) { restoreFacility(id: $id, toVersion: $to, version: $v) { ...AllFields } }";
    let restore = format!("{restore}{}", crate::all_facility_fields!());
    let original = app
        .ok(
            crate::helpers::CREATE_FACILITY,
            json!({ "input": { "kind": "COMMUNITY_CANTEEN", "name": "老饭桌", "location": { "lon": 106.3, "lat": 38.5 },
                "services": ["LOW_SALT_MEALS", "HALAL"], "canteen": { "seats": 40, "halal": true } } }),
            Some(&editor),
        )
        .await["createFacility"]
        .clone();
    let id = original["id"].as_str().unwrap().to_owned();
    app.ok(UPDATE, json!({ "id": id, "version": 1, "input": { "name": "改名", "services": [] } }), Some(&editor)).await;

    // Overwritten: back to version 1's fields as version 3, version 2 kept in history.
    let stale = app.gql(&restore, json!({ "id": id, "to": 1, "v": 1 }), Some(&admin)).await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    let missing_version = app.gql(&restore, json!({ "id": id, "to": 1 }), Some(&admin)).await;
    assert_eq!(error_codes(&missing_version), ["CONFLICT"]);
    let back = app.ok(&restore, json!({ "id": id, "to": 1, "v": 2 }), Some(&admin)).await["restoreFacility"].clone();
    let same_fields = |f: &serde_json::Value| {
        let mut f = f.clone();
        for volatile in ["version", "updatedAt"] {
            f.as_object_mut().unwrap().remove(volatile);
        }
        f
    };
    assert_eq!(same_fields(&back), same_fields(&original));
    assert_eq!(back["version"], 3);

    // Deleted: comes back under its id, with a new version, and searchable again.
    app.ok(DELETE, json!({ "id": id, "version": 3 }), Some(&editor)).await;
    assert_eq!(error_codes(&app.gql(&restore, json!({ "id": id, "to": 3, "v": 3 }), Some(&admin)).await), ["CONFLICT"]);
    assert_eq!(error_codes(&app.gql(&restore, json!({ "id": id, "to": 9 }), Some(&admin)).await), ["NOT_FOUND"]);
    assert_eq!(error_codes(&app.gql(&restore, json!({ "id": id, "to": 2 }), Some(&editor)).await), ["FORBIDDEN"]);
    let again = app.ok(&restore, json!({ "id": id, "to": 2 }), Some(&admin)).await["restoreFacility"].clone();
    assert_eq!(
        (again["id"].as_str(), again["name"].as_str(), again["version"].as_i64()),
        (Some(id.as_str()), Some("改名"), Some(4))
    );
    assert_eq!(app.ok(READ, json!({ "id": id }), None).await["facility"]["version"], 4);
    let near = app
        .ok(
            "{ nearbyFacilities(near: { lon: 106.3, lat: 38.5 }, radiusMeters: 10) { facility { id } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(near["nearbyFacilities"][0]["facility"]["id"], id);
    let twice = app.gql(&restore, json!({ "id": id, "to": 2 }), Some(&admin)).await;
    assert_eq!(error_codes(&twice), ["CONFLICT"]);

    // The audit trail: who, when, before and after of every change.
    let history = app
        .ok("query($id: ID!) { facilityHistory(id: $id) { action actor facility { version name updatedBy } after { version name updatedBy } } }", json!({ "id": id }), Some(&admin))
        .await["facilityHistory"]
        .clone();
    assert_eq!(
        history,
        json!([
            { "action": "UPDATE", "actor": "test-editor", "facility": { "version": 1, "name": "老饭桌", "updatedBy": "test-editor" }, "after": { "version": 2, "name": "改名", "updatedBy": "test-editor" } },
            { "action": "UPDATE", "actor": "test-admin", "facility": { "version": 2, "name": "改名", "updatedBy": "test-editor" }, "after": { "version": 3, "name": "老饭桌", "updatedBy": "test-admin" } },
            { "action": "DELETE", "actor": "test-editor", "facility": { "version": 3, "name": "老饭桌", "updatedBy": "test-admin" }, "after": null },
        ])
    );
    // Who created it and who made the current version: admins only.
    let authors = "query($id: ID!) { facility(id: $id) { createdBy updatedBy } }";
    let current = app.ok(authors, json!({ "id": id }), Some(&admin)).await;
    assert_eq!(current["facility"], json!({ "createdBy": "test-editor", "updatedBy": "test-admin" }));
    assert_eq!(error_codes(&app.gql(authors, json!({ "id": id }), Some(&editor)).await), ["FORBIDDEN", "FORBIDDEN"]);
    assert_eq!(error_codes(&app.gql(authors, json!({ "id": id }), None).await), ["UNAUTHENTICATED", "UNAUTHENTICATED"]);
}

/// Details fields that have a default are nullable: null, like leaving the field out, stores
/// the default.
#[actix_web::test]
async fn null_details_fields_store_their_defaults() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let read = "query($id: ID!) { facility(id: $id) { \
        canteen { meals diets ageprices: agePrices { minAge } halal delivery seats } \
        restStation { amenities access open24Hours targetGroups mobile } } }";
    let canteen_with = |details: Value| json!({ "input": { "kind": "MEAL_POINT", "name": "a", "location": { "lon": 106.3, "lat": 38.5 }, "canteen": details } });
    let nulls =
        json!({ "meals": null, "diets": null, "agePrices": null, "halal": null, "delivery": null, "seats": 12 });
    let omitted = json!({ "seats": 12 });
    let mut stored = Vec::new();
    for details in [nulls, omitted] {
        let id = app.ok(CREATE_FACILITY, canteen_with(details), Some(&editor)).await["createFacility"]["id"].clone();
        stored.push(app.ok(read, json!({ "id": id }), None).await["facility"]["canteen"].clone());
    }
    assert_eq!(stored[0], stored[1]);
    assert_eq!(
        stored[0],
        json!({ "meals": [], "diets": [], "ageprices": [], "halal": false, "delivery": false, "seats": 12 })
    );
    let station = json!({ "input": { "kind": "OUTDOOR_WORKER_STATION", "name": "b", "location": { "lon": 106.3, "lat": 38.5 },
        "restStation": { "amenities": null, "access": null, "open24Hours": null, "targetGroups": null, "mobile": true } } });
    let id = app.ok(CREATE_FACILITY, station, Some(&editor)).await["createFacility"]["id"].clone();
    let read_back = app.ok(read, json!({ "id": id }), None).await["facility"]["restStation"].clone();
    assert_eq!(
        read_back,
        json!({ "amenities": [], "access": "OPEN", "open24Hours": false, "targetGroups": [], "mobile": true })
    );
}
