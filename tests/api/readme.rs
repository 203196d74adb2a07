//! README's example queries, run as written against the demo data (README says they can be):
//! each must answer without errors and with something to show, so an example that drifts from
//! the schema or from the demo data fails here instead of on a newcomer.

use crate::helpers::TestApp;
use serde_json::{Value, json};

/// The text of every fenced `graphql` block in README.md.
fn readme_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```graphql") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// What an example shows: every top-level answer present, lists and collections not empty.
fn shows_something(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => match (fields.get("totalCount"), fields.get("features")) {
            (Some(count), _) => count.as_i64().is_some_and(|n| n > 0),
            (None, Some(features)) => shows_something(features),
            (None, None) => true,
        },
        _ => true,
    }
}

#[actix_web::test]
async fn every_readme_query_answers_on_the_demo_data() {
    let app = TestApp::spawn().await;
    api::demo::load(&app.store).await.unwrap();
    let queries = readme_queries();
    assert!(queries.len() >= 7, "README has {} graphql blocks", queries.len());
    // A mobile app sends the moment it asks about; a weekday lunchtime, when canteens are open.
    let variables = json!({ "now": "2026-11-25T12:00:00+08:00" });
    for query in queries {
        let response = app.gql(&query, variables.clone(), None).await;
        assert!(response.get("errors").is_none(), "{query}\n{response}");
        for (field, answer) in response["data"].as_object().unwrap() {
            assert!(shows_something(answer), "{field} shows nothing:\n{query}\n{answer}");
        }
    }
}
