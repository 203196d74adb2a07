use crate::helpers::{TestApp, create_at};
use api::domain::role::Role;
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

/// Every type, field, argument, input field and enum value the schema serves is described
/// (GraphiQL's docs and generated clients show these), the library's own types included.
#[actix_web::test]
async fn every_part_of_the_schema_is_described() {
    let app = TestApp::spawn().await;
    let data = app.ok(INTROSPECTION, json!({}), None).await;
    let described = |item: &serde_json::Value| item["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    let (mut missing, mut checked) = (Vec::new(), 0);
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        checked += 1;
        if !described(t) {
            missing.push(name.to_owned());
        }
        let members =
            ["fields", "inputFields", "enumValues"].map(|list| t[list].as_array().cloned().unwrap_or_default());
        for member in members.iter().flatten() {
            let member_name = format!("{name}.{}", member["name"].as_str().unwrap());
            checked += 1;
            if !described(member) {
                missing.push(member_name.clone());
            }
            for argument in member["args"].as_array().into_iter().flatten() {
                checked += 1;
                if !described(argument) {
                    missing.push(format!("{member_name}({})", argument["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(checked > 400, "{checked} parts checked");
    assert!(missing.is_empty(), "without a description: {missing:?}");
}

/// Optional arguments and input fields are nullable with a default (the contract): a declared
/// variable left out and an explicit null both mean the default, as leaving the argument out
/// does.
#[actix_web::test]
async fn omitted_variables_and_nulls_mean_the_defaults() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    // 25 facilities within a few hundred metres: more than the default limit of 20, and every
    // one within the default 15 minutes of an elderly walk (0.75 m/s x 1.3 detour: 519 m).
    for i in 0..25 {
        create_at(&app, &editor, "MEAL_POINT", 106.3 + f64::from(i % 5) * 0.0005, 38.5 + f64::from(i / 5) * 0.0005)
            .await;
    }
    let fields = "facility { id location { lon lat } } distanceMeters travelMinutes model";
    let defaults = format!(
        "{{ nearbyFacilities(near: {{ lon: 106.301, lat: 38.501 }}) {{ {fields} }} \
           reachableFacilities(from: {{ lon: 106.301, lat: 38.501 }}, travel: {{ model: STRAIGHT_LINE }}) {{ {fields} }} }}"
    );
    let with_variables = format!(
        "query($limit: Int, $crs: Crs, $minutes: Float, $profile: TravelProfile, $detour: Float) {{ \
           nearbyFacilities(near: {{ lon: 106.301, lat: 38.501, crs: $crs }}, limit: $limit) {{ {fields} }} \
           reachableFacilities(from: {{ lon: 106.301, lat: 38.501, crs: $crs }}, minutes: $minutes, \
             travel: {{ model: STRAIGHT_LINE, profile: $profile, detourFactor: $detour }}) {{ {fields} }} }}"
    );
    let expected = app.ok(&defaults, json!({}), None).await;
    assert_eq!(expected["nearbyFacilities"].as_array().unwrap().len(), 20, "the default limit");
    assert_eq!(expected["reachableFacilities"].as_array().unwrap().len(), 25, "all within 15 minutes");
    let omitted = app.ok(&with_variables, json!({}), None).await;
    assert_eq!(omitted, expected, "declared variables left out");
    let nulls = json!({ "limit": null, "crs": null, "minutes": null, "profile": null, "detour": null });
    assert_eq!(app.ok(&with_variables, nulls, None).await, expected, "explicit nulls");
    // The variables do reach the arguments: other values give other answers.
    let given = json!({ "limit": 3, "minutes": 1.0, "profile": "WALK", "detour": 1.0 });
    let other = app.ok(&with_variables, given, None).await;
    assert_eq!(other["nearbyFacilities"].as_array().unwrap().len(), 3);
    assert_ne!(other["reachableFacilities"], expected["reachableFacilities"]);
    app.stop().await;
}
