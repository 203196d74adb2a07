use crate::helpers::{TestApp, create_at, error_codes};
use api::auth::Role;
use serde_json::json;

/// Every write, and the admin-only history, against anonymous, wrong, editor, admin and
/// revoked tokens.
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
        ("anonymous", None, &["UNAUTHENTICATED"; 5]),
        ("garbage", Some("sc_not-a-token"), &["UNAUTHENTICATED"; 5]),
        ("revoked", Some(revoked.as_str()), &["UNAUTHENTICATED"; 5]),
        ("editor", Some(editor.as_str()), &["OK", "OK", "OK", "OK", "FORBIDDEN"]),
        ("admin", Some(admin.as_str()), &["OK"; 5]),
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
        assert_eq!(outcomes, expected, "{who}");
    }
    // Nothing was written without a valid token: only the admin's and editor's creations exist
    // (5 set-up facilities, 2 created by the allowed callers, 2 deleted by them).
    let count = app.ok("{ facilities { totalCount } }", json!({}), None).await["facilities"]["totalCount"].clone();
    assert_eq!(count, 5);
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
