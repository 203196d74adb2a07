use crate::helpers::TestApp;
use serde_json::json;

/// `schema.graphql` at the repository root is the API's published contract. Run with
/// `UPDATE_SCHEMA=1` to rewrite it after an intended change.
#[test]
fn schema_graphql_equals_the_served_sdl() {
    let served = api::graphql::sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == served, "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test schema_graphql`");
}

/// The query GraphiQL sends on load (from graphql-js `getIntrospectionQuery`), which must get
/// through the depth and complexity limits.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

#[actix_web::test]
async fn graphiql_introspection_passes_the_limits_and_matches_schema_graphql() {
    let app = TestApp::spawn().await;
    let data = app.ok(INTROSPECTION, json!({}), None).await;
    let sdl = api::graphql::sdl();
    let types = data["__schema"]["types"].as_array().unwrap();
    for name in
        ["Facility", "FacilityHit", "FacilityConnection", "PointInput", "Crs", "CanteenDetails", "ResidentialArea"]
    {
        assert!(types.iter().any(|t| t["name"] == name), "{name} served");
    }
    for t in types.iter().filter(|t| !t["name"].as_str().unwrap().starts_with("__")) {
        let name = t["name"].as_str().unwrap();
        let declared = sdl.lines().any(|l| {
            ["type", "input", "enum", "scalar"]
                .iter()
                .any(|kw| l == format!("{kw} {name}") || l.starts_with(&format!("{kw} {name} ")))
        }) || ["String", "Int", "Float", "Boolean", "ID"].contains(&name);
        assert!(declared, "{name} is served but not in the SDL");
    }
}
