use crate::helpers::{TestApp, create_at};
use api::auth::Role;
use serde_json::json;

#[actix_web::test]
async fn health_and_graphiql_are_served() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains("ok"));
    let (status, body) = app.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(body.to_lowercase().contains("graphiql"));
}

#[actix_web::test]
async fn data_survives_a_restart() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let id = create_at(&app, &editor, "RURAL_HAPPINESS_HOME", 106.45, 38.42).await;
    let q = "query($id: ID!) { facility(id: $id) { id name kind version location { lon lat } createdAt } }";
    let before = app.ok(q, json!({ "id": id }), None).await;
    let url = app.database_url.clone();
    let dir = app.stop().await;

    let again = TestApp::spawn_on(&url).await;
    assert_eq!(again.ok(q, json!({ "id": id }), None).await, before);
    // The token made before the restart still works.
    let next = create_at(&again, &editor, "MEAL_POINT", 106.3, 38.5).await;
    assert_ne!(next, id);
    again.stop().await;
    drop(dir);
}
