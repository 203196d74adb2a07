use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use serde_json::json;

/// Every write, and the admin-only history and restore, against anonymous, wrong, editor,
/// admin and revoked tokens.
#[actix_web::test]
async fn every_write_needs_a_token_of_a_high_enough_role() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let admin = app.token(Role::Admin).await;
    let (revoked_record, revoked) = api::auth::issue_token(&app.store, "old", Role::Admin).await.unwrap();
    assert!(app.store.revoke_token(revoked_record.id).await.unwrap());

    let create = r#"mutation { createFacility(input: { kind: MEAL_POINT, name: "x", location: { lon: 106.3, lat: 38.5 } }) { id } }"#;
    let area = r#"mutation { createResidentialArea(input: { name: "a", location: { lon: 106.3, lat: 38.5 }, population: 10, elderlyPopulation: 2 }) { id } }"#;
    let cases: [(&str, Option<&str>, &[&str]); 5] = [
        ("anonymous", None, &["UNAUTHENTICATED"; 11]),
        ("garbage", Some("sc_not-a-token"), &["UNAUTHENTICATED"; 11]),
        ("revoked", Some(revoked.as_str()), &["UNAUTHENTICATED"; 11]),
        (
            "editor",
            Some(editor.as_str()),
            &[
                "OK",
                "OK",
                "OK",
                "OK",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
            ],
        ),
        ("admin", Some(admin.as_str()), &["OK"; 11]),
    ];
    for (who, token, expected) in cases {
        let id = create_at(&app, &admin, "MEAL_POINT", 106.3, 38.5).await;
        let update =
            format!(r#"mutation {{ updateFacility(id: "{id}", version: 1, input: {{ name: "y" }}) {{ id }} }}"#);
        let delete = format!(r#"mutation {{ deleteFacility(id: "{id}", version: if_updated) }}"#);
        let history = format!(r#"{{ facilityHistory(id: "{id}") {{ action }} }}"#);
        let mut outcomes = Vec::new();
        for doc in [create.to_owned(), area.to_owned(), update] {
            let r = app.gql(&doc, json!({}), token).await;
            outcomes.push(error_codes(&r).first().cloned().unwrap_or_else(|| "OK".into()));
        }
        let version = if outcomes[2] == "OK" { 2 } else { 1 };
        let r = app.gql(&delete.replace("if_updated", &version.to_string()), json!({}), token).await;
        outcomes.push(error_codes(&r).first().cloned().unwrap_or_else(|| "OK".into()));
        let r = app.gql(&history, json!({}), token).await;
        outcomes.push(error_codes(&r).first().cloned().unwrap_or_else(|| "OK".into()));
        // Restore the deleted state (or, where the delete was refused, overwrite version 1 with itself).
        let restore = if outcomes[3] == "OK" {
            format!(r#"mutation {{ restoreFacility(id: "{id}", toVersion: {version}) {{ id }} }}"#)
        } else {
            format!(r#"mutation {{ restoreFacility(id: "{id}", toVersion: 1, version: 1) {{ id }} }}"#)
        };
        let r = app.gql(&restore, json!({}), token).await;
        outcomes.push(error_codes(&r).first().cloned().unwrap_or_else(|| "OK".into()));
        for import in IMPORTS {
            let r = app.gql(import, json!({}), token).await;
            outcomes.push(error_codes(&r).first().cloned().unwrap_or_else(|| "OK".into()));
        }
        assert_eq!(outcomes, expected, "{who}");
    }
    // Nothing was written without a valid token: only the admin's and editor's creations exist
    // (5 set-up facilities, 2 created by the allowed callers, 2 deleted by them, 1 restored by
    // the admin).
    let count = app.ok("{ facilities { totalCount } }", json!({}), None).await["facilities"]["totalCount"].clone();
    assert_eq!(count, 6);
}

const IMPORTS: [&str; 5] = [
    r#"mutation { importFacilities(features: { type: "FeatureCollection", features: [] }) { created } }"#,
    r#"mutation { importResidentialAreas(features: { type: "FeatureCollection", features: [] }) { created } }"#,
    r#"mutation { loadHolidayCalendar(year: 2030, days: [{ date: "2030-01-01", kind: DAY_OFF }]) { year } }"#,
    r#"mutation { loadNorms(name: "t", circles: [{ minutes: 5, requirements: [{ label: "a", categories: [CANTEEN] }] }]) { version } }"#,
    r#"mutation { removeNorms(name: "t") }"#,
];

/// The matrix above covers every mutation the schema has.
#[actix_web::test]
async fn the_role_matrix_covers_every_mutation() {
    let app = TestApp::spawn().await;
    let fields = app.ok("{ __type(name: \"Mutation\") { fields { name } } }", json!({}), None).await;
    let mut names: Vec<String> =
        fields["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    let covered = [
        "createFacility",
        "createResidentialArea",
        "deleteFacility",
        "importFacilities",
        "importResidentialAreas",
        "loadHolidayCalendar",
        "loadNorms",
        "removeNorms",
        "restoreFacility",
        "updateFacility",
    ];
    assert_eq!(names, covered);
}

#[actix_web::test]
async fn reads_need_no_token() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(
            "{ facilities { totalCount } nearbyFacilities(near: { lon: 0, lat: 0 }) { distanceMeters } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(data["facilities"]["totalCount"], 0);
}
