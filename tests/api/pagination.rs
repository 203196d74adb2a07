use crate::helpers::{TestApp, create_at};
use api::domain::role::Role;
use serde_json::json;
use std::collections::HashSet;

#[actix_web::test]
async fn paging_through_facilities_visits_every_row_exactly_once() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mut created = HashSet::new();
    for i in 0..47 {
        created.insert(create_at(&app, &editor, "OUTDOOR_WORKER_STATION", 106.2 + f64::from(i) * 0.001, 38.4).await);
    }
    let q = "query($after: String) { facilities(first: 10, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    let mut pages = 0;
    loop {
        let page = app.ok(q, json!({ "after": after }), None).await["facilities"].clone();
        pages += 1;
        assert_eq!(page["totalCount"], 47);
        let edges = page["edges"].as_array().unwrap();
        seen.extend(edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
        assert_eq!(page["pageInfo"]["startCursor"], edges[0]["cursor"]);
        assert_eq!(page["pageInfo"]["endCursor"], edges.last().unwrap()["cursor"]);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], pages > 1);
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 47, "no row twice");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created, "every row");
    let default_page = app.ok("{ facilities { edges { node { id } } } }", json!({}), None).await;
    assert_eq!(default_page["facilities"]["edges"].as_array().unwrap().len(), 20, "first defaults to 20");
}
