//! Travel-time heatmaps (issue 14, item 3) in straight lines, against a brute force computed
//! here: every facility against every cell centre, geodesic distances from the `geo` crate, H3
//! indexes from the `h3o` crate. (The network case is in `network_queries`.)

use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use geo::{Contains, Distance, Geodesic, Intersects, Point, Polygon};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

const GRID: &str = r#"query($filter: FacilityFilter, $scope: ScopeInput, $resolution: Int, $max: Float, $travel: TravelInput) {
    travelTimeGrid(filter: $filter, scope: $scope, resolution: $resolution, maxMinutes: $max, travel: $travel) {
        resolution maxMinutes cellCount cells { h3 center { lon lat } minutes model reach } features } }"#;

/// A polygon from a GeoJSON Polygon's rings.
pub(crate) fn hexagon(geometry: &Value) -> Polygon<f64> {
    assert_eq!(geometry["type"], "Polygon");
    let ring: Vec<(f64, f64)> = geometry["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    Polygon::new(ring.into(), vec![])
}

fn square(lon: f64, lat: f64, side: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]] })
}

#[actix_web::test]
async fn straight_line_grids_equal_the_nearest_facility_by_brute_force() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(31);
    let mut meal_points = Vec::new();
    for i in 0..30 {
        let at = (rng.random_range(106.24..106.30), rng.random_range(38.44..38.50));
        let kind = if i % 3 == 0 { "DAY_CARE_CENTER" } else { "MEAL_POINT" };
        create_at(&app, &editor, kind, at.0, at.1).await;
        if kind == "MEAL_POINT" {
            meal_points.push(at);
        }
    }
    let (lon, lat, side) = (106.25, 38.45, 0.03);
    let variables = json!({ "filter": { "kinds": ["MEAL_POINT"] }, "scope": { "within": square(lon, lat, side) },
                            "max": 12.0, "travel": { "model": "STRAIGHT_LINE" } });
    let grid = app.ok(GRID, variables, None).await["travelTimeGrid"].clone();
    assert_eq!(grid["resolution"], 9, "the default resolution");
    assert_eq!(grid["maxMinutes"], 12.0);
    let cells = grid["cells"].as_array().unwrap();
    assert_eq!(grid["cellCount"], cells.len());
    // About 8.7 km2 over cells of 0.105 km2 on average, plus the ring around the edge.
    assert!(cells.len() > 80 && cells.len() < 200, "{}", cells.len());
    let features = grid["features"]["features"].as_array().unwrap();
    assert_eq!(features.len(), cells.len());
    let hexagons: Vec<Polygon<f64>> = features.iter().map(|f| hexagon(&f["geometry"])).collect();
    let resolution = h3o::Resolution::Nine;
    let (mut reached, mut beyond) = (0, 0);
    for ((cell, feature), hexagon) in cells.iter().zip(features).zip(&hexagons) {
        let center = (cell["center"]["lon"].as_f64().unwrap(), cell["center"]["lat"].as_f64().unwrap());
        // The index is the cell holding the centre, as h3o computes it; the hexagon holds it.
        let own = h3o::LatLng::new(center.1, center.0).unwrap().to_cell(resolution);
        assert_eq!(cell["h3"], own.to_string());
        assert_eq!(feature["properties"]["h3"], cell["h3"]);
        assert!(hexagon.contains(&Point::new(center.0, center.1)));
        let nearest = meal_points
            .iter()
            .map(|&(x, y)| Geodesic.distance(Point::new(x, y), Point::new(center.0, center.1)) * 1.3 / 0.75 / 60.0)
            .fold(f64::INFINITY, f64::min);
        if nearest <= 12.0 {
            let got = cell["minutes"].as_f64().unwrap_or_else(|| panic!("{cell} vs {nearest}"));
            assert!((got - nearest).abs() < 1e-6, "{got} vs {nearest}");
            assert_eq!((&cell["reach"], &cell["model"]), (&json!("REACHED"), &json!("STRAIGHT_LINE")));
            assert_eq!(feature["properties"]["minutes"], cell["minutes"]);
            reached += 1;
        } else {
            assert_eq!((&cell["reach"], &cell["minutes"]), (&json!("BEYOND"), &Value::Null), "{nearest}");
            beyond += 1;
        }
    }
    assert!(reached > 10 && beyond > 10, "{reached} reached, {beyond} beyond");
    // The cells cover the square: every point of a lattice over it is in one of them.
    for i in 0..=30 {
        for j in 0..=30 {
            let p = Point::new(lon + side * f64::from(i) / 30.0, lat + side * f64::from(j) / 30.0);
            assert!(hexagons.iter().any(|h| h.intersects(&p)), "{p:?} is not covered");
        }
    }
}

#[actix_web::test]
async fn a_division_grid_covers_its_areas_and_bad_grids_are_refused() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(32);
    create_at(&app, &editor, "MEAL_POINT", 106.27, 38.47).await;
    let q = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let mut street = Vec::new();
    for i in 0..40 {
        let at = (rng.random_range(106.24..106.30), rng.random_range(38.44..38.50));
        let code = format!("640104{:03}001", 1 + i % 2);
        let input = json!({ "name": format!("小区{i}"), "location": { "lon": at.0, "lat": at.1 }, "population": 100,
                            "elderlyPopulation": 20, "communityCode": code });
        app.ok(q, json!({ "input": input }), Some(&editor)).await;
        if code.starts_with("640104001") {
            street.push(at);
        }
    }
    let variables = json!({ "scope": { "communityCodePrefix": "640104001" }, "resolution": 8 });
    let grid = app.ok(GRID, variables, None).await["travelTimeGrid"].clone();
    let hexagons: Vec<Polygon<f64>> =
        grid["features"]["features"].as_array().unwrap().iter().map(|f| hexagon(&f["geometry"])).collect();
    for (x, y) in &street {
        assert!(hexagons.iter().any(|h| h.intersects(&Point::new(*x, *y))), "({x}, {y}) is not covered");
    }

    // Bad input: resolutions out of range, too fine for the scope, two areas at once.
    let whole = json!({ "within": square(105.9, 38.2, 0.6) });
    for (variables, says) in [
        (json!({ "resolution": 16 }), "0 to 15"),
        (json!({ "resolution": -1 }), "0 to 15"),
        (json!({ "scope": whole, "resolution": 13 }), "or coarser"),
        (json!({ "scope": { "within": square(106.2, 38.4, 0.1), "communityCodePrefix": "640104" } }), "not both"),
        (json!({ "max": 0 }), "minutes"),
        (json!({ "scope": { "within": { "type": "Point", "coordinates": [106.2, 38.4] } } }), "Polygon"),
    ] {
        let r = app.gql(GRID, variables.clone(), None).await;
        assert_eq!(error_codes(&r), ["BAD_USER_INPUT"], "{variables}: {r}");
        let message = r["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{variables}: {message}");
    }
    // The refusal names a resolution that fits, and it does.
    let r = app.gql(GRID, json!({ "scope": whole, "resolution": 13 }), None).await;
    let message = r["errors"][0]["message"].as_str().unwrap();
    let fits: i32 = message.split("use resolution ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let q = "query($scope: ScopeInput, $r: Int) { travelTimeGrid(scope: $scope, resolution: $r, travel: { model: STRAIGHT_LINE }) { cellCount } }";
    let count =
        app.ok(q, json!({ "scope": whole, "r": fits }), None).await["travelTimeGrid"]["cellCount"].as_i64().unwrap();
    assert!(count > 5_000 && count <= 50_000, "{count}");
}

#[actix_web::test]
async fn travel_time_tiles_hold_the_grid_the_api_answers() {
    use crate::tiles::{fetch, lon_lat, tile_of};
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(33);
    for i in 0..12 {
        let kind = if i % 2 == 0 { "MEAL_POINT" } else { "DAY_CARE_CENTER" };
        create_at(&app, &editor, kind, rng.random_range(106.26..106.30), rng.random_range(38.46..38.49)).await;
    }
    let z = 13;
    let (x, y) = tile_of(106.28, 38.475, z);
    let path = format!("/tiles/travel-time/{z}/{x}/{y}.mvt?kinds=MEAL_POINT&maxMinutes=12&model=STRAIGHT_LINE");
    let tile = fetch(&app, &path, &[]).await;
    assert_eq!(tile.status, 200);
    let reader = mvt_reader::Reader::new(tile.body).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), ["travel-time"]);
    let mut drawn = std::collections::BTreeMap::new();
    for f in reader.get_features(0).unwrap() {
        let props = f.properties.unwrap();
        let text = |k: &str| match &props[k] {
            mvt_reader::feature::Value::String(s) => s.clone(),
            other => panic!("{k}: {other:?}"),
        };
        let minutes = props.get("minutes").map(|m| match m {
            mvt_reader::feature::Value::Double(d) => *d,
            other => panic!("{other:?}"),
        });
        let ring = match f.geometry {
            geo::Geometry::Polygon(p) => p.exterior().0.clone(),
            geo::Geometry::MultiPolygon(m) if m.0.len() == 1 => m.0[0].exterior().0.clone(),
            other => panic!("{other:?}"),
        };
        // The hexagon's corners are the cell's, as h3o draws it (to a tile unit, ~4 m).
        let cell: h3o::CellIndex = text("h3").parse().unwrap();
        let corners: Vec<h3o::LatLng> = cell.boundary().iter().copied().collect();
        for c in &ring {
            let (lon, lat) = lon_lat(x, y, z, f64::from(c.x), f64::from(c.y));
            assert!(
                corners.iter().any(|k| (k.lng() - lon).abs() < 1e-4 && (k.lat() - lat).abs() < 1e-4),
                "{lon} {lat}"
            );
        }
        drawn.insert(text("h3"), (text("reach"), minutes));
    }
    // The same grid through GraphQL: the tile's rectangle at resolution zoom - 4.
    let (west, north) = lon_lat(x, y, z, 0.0, 0.0);
    let (east, south) = lon_lat(x, y, z, 4096.0, 4096.0);
    let within = json!({ "type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]] });
    let variables = json!({ "filter": { "kinds": ["MEAL_POINT"] }, "scope": { "within": within }, "resolution": z - 4,
                            "max": 12.0, "travel": { "model": "STRAIGHT_LINE" } });
    let grid = app.ok(GRID, variables, None).await;
    let cells = grid["travelTimeGrid"]["cells"].as_array().unwrap();
    assert_eq!(drawn.len(), cells.len());
    let mut reached = 0;
    for c in cells {
        let (reach, minutes) = &drawn[c["h3"].as_str().unwrap()];
        assert_eq!(reach, c["reach"].as_str().unwrap());
        assert_eq!(*minutes, c["minutes"].as_f64());
        reached += usize::from(minutes.is_some());
    }
    assert!(reached > 10 && reached < cells.len(), "{reached} of {}", cells.len());
    let bad = format!("/tiles/travel-time/{z}/{x}/{y}.mvt?maxMinutes=500");
    assert_eq!(fetch(&app, &bad, &[]).await.status, 400);
    assert_eq!(fetch(&app, &format!("/tiles/travel-time/9/{}/{}.mvt", x / 16, y / 16), &[]).await.status, 404);
}
