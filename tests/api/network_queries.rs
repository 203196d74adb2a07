//! NETWORK and AUTO travel through the API, on the Monaco walking network, against a reference
//! computed here: snapping by scanning every edge and a textbook Dijkstra over the same nodes
//! and edges, with no code shared with the service's network module.

use crate::helpers::{TestApp, create_at, error_codes};
use api::domain::role::Role;
use api::osm_import::read_walking_network;
use geo::{Contains, Distance, Geodesic, Point};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::OnceLock;

const SNAP_LIMIT_M: f64 = 500.0;

struct Reference {
    positions: Vec<(f64, f64)>,
    edges: Vec<(usize, usize, f64)>,
    adjacency: Vec<Vec<(usize, f64)>>,
    /// Each node's component size (breadth-first search).
    component: Vec<usize>,
    /// The network as read from the extract, for the service to store.
    osm: api::osm_import::OsmNetwork,
}

#[derive(Clone, Copy, Debug)]
struct RefSnap {
    edge: usize,
    to_a: f64,
    to_b: f64,
    offset: f64,
}

fn geodesic(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

fn monaco() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/osm/monaco.osm.pbf");
        let net = read_walking_network(&path, &|_| {}).expect("the Monaco extract (see data/README.md)");
        let positions: Vec<(f64, f64)> = net.positions.iter().map(|p| (p.lon, p.lat)).collect();
        let mut pairs: Vec<(usize, usize)> = net
            .edges
            .iter()
            .filter(|(a, b)| a != b)
            .map(|&(a, b)| ((a.min(b)) as usize, (a.max(b)) as usize))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let edges: Vec<(usize, usize, f64)> =
            pairs.iter().map(|&(a, b)| (a, b, geodesic(positions[a], positions[b]))).collect();
        let mut adjacency = vec![Vec::new(); positions.len()];
        for &(a, b, l) in &edges {
            adjacency[a].push((b, l));
            adjacency[b].push((a, l));
        }
        let mut component = vec![0; positions.len()];
        for start in 0..positions.len() {
            if component[start] > 0 {
                continue;
            }
            let mut members = vec![start];
            component[start] = usize::MAX;
            let mut next = 0;
            while next < members.len() {
                for &(m, _) in &adjacency[members[next]] {
                    if component[m] == 0 {
                        component[m] = usize::MAX;
                        members.push(m);
                    }
                }
                next += 1;
            }
            for &m in &members {
                component[m] = members.len();
            }
        }
        Reference { positions, edges, adjacency, component, osm: net }
    })
}

impl Reference {
    /// The nearest point on an edge of a component of at least 50 nodes, or if none is within
    /// the limit on any edge, found by scanning them all in a projection around `p`. None when
    /// farther than the limit, or when a second edge is almost as near (the service may then
    /// fairly pick either).
    fn snap(&self, p: (f64, f64)) -> Option<RefSnap> {
        match self.snap_among(p, true) {
            (Some(s), _) => Some(s),
            // A large component right at the limit: the service may fairly take it or not.
            (None, nearest) if nearest < SNAP_LIMIT_M * 1.01 => None,
            (None, _) => self.snap_among(p, false).0,
        }
    }

    /// The snap among large or small components' edges, and the distance to the nearest.
    fn snap_among(&self, p: (f64, f64), large: bool) -> (Option<RefSnap>, f64) {
        let kx = 111_320.0 * p.1.to_radians().cos();
        let ky = 110_574.0;
        let local = |q: (f64, f64)| ((q.0 - p.0) * kx, (q.1 - p.1) * ky);
        // The nearest edge and the distance to the second nearest, in one scan.
        let (mut d, mut edge, mut t, mut second) = (f64::INFINITY, 0, 0.0, f64::INFINITY);
        for (i, &(a, b, _)) in self.edges.iter().enumerate() {
            if (self.component[a] >= 50) != large {
                continue;
            }
            let (ax, ay) = local(self.positions[a]);
            let (bx, by) = local(self.positions[b]);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let s = if len2 == 0.0 { 0.0 } else { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) };
            let e = ((ax + s * dx).powi(2) + (ay + s * dy).powi(2)).sqrt();
            if e < d {
                (second, d, edge, t) = (d, e, i, s);
            } else if e < second {
                second = e;
            }
        }
        if d > SNAP_LIMIT_M * 0.99 || second < d * 1.01 + 0.5 {
            return (None, d);
        }
        let (a, b, length) = self.edges[edge];
        let on = (
            self.positions[a].0 + t * (self.positions[b].0 - self.positions[a].0),
            self.positions[a].1 + t * (self.positions[b].1 - self.positions[a].1),
        );
        (Some(RefSnap { edge, to_a: t * length, to_b: (1.0 - t) * length, offset: geodesic(p, on) }), d)
    }

    fn dijkstra(&self, from: &RefSnap) -> Vec<f64> {
        let (a, b, _) = self.edges[from.edge];
        let mut dist = vec![f64::INFINITY; self.positions.len()];
        let mut heap = BinaryHeap::new();
        for (n, d) in [(a, from.offset + from.to_a), (b, from.offset + from.to_b)] {
            if d < dist[n] {
                dist[n] = d;
                heap.push((Reverse(d.to_bits()), n));
            }
        }
        while let Some((Reverse(bits), n)) = heap.pop() {
            let d = f64::from_bits(bits);
            if d > dist[n] {
                continue;
            }
            for &(m, l) in &self.adjacency[n] {
                if d + l < dist[m] {
                    dist[m] = d + l;
                    heap.push((Reverse((d + l).to_bits()), m));
                }
            }
        }
        dist
    }

    /// The walk from `from` (with its Dijkstra `dist`) to `to`.
    fn walk(&self, from: &RefSnap, dist: &[f64], to: &RefSnap) -> f64 {
        let (a, b, _) = self.edges[to.edge];
        let via_nodes = to.offset + (dist[a] + to.to_a).min(dist[b] + to.to_b);
        if from.edge == to.edge {
            via_nodes.min(from.offset + (from.to_a - to.to_a).abs() + to.offset)
        } else {
            via_nodes
        }
    }

    /// Walking metres between two points; None when either is off the network (or ambiguous).
    fn pair(&self, from: (f64, f64), to: (f64, f64)) -> Option<f64> {
        let (s, t) = (self.snap(from)?, self.snap(to)?);
        Some(self.walk(&s, &self.dijkstra(&s), &t))
    }
}

async fn with_monaco(app: &TestApp) {
    let r = monaco();
    app.store.import_walk_network("monaco", &r.osm.positions, &r.osm.osm_ids, &r.osm.edges).await.unwrap();
}

fn random_point(rng: &mut StdRng) -> (f64, f64) {
    (rng.random_range(7.415..7.435), rng.random_range(43.728..43.748))
}

/// A random point that the reference snaps onto the network without ambiguity.
fn random_point_on_network(rng: &mut StdRng) -> (f64, f64) {
    loop {
        let p = random_point(rng);
        if monaco().snap(p).is_some() {
            return p;
        }
    }
}

fn travel(model: &str) -> Value {
    json!({ "profile": "WALK", "model": model })
}

#[actix_web::test]
async fn reachable_facilities_on_the_network_equal_reference_walks() {
    let app = TestApp::spawn().await;
    with_monaco(&app).await;
    let r = monaco();
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(7);
    let mut facilities = Vec::new();
    for _ in 0..15 {
        let p = random_point_on_network(&mut rng);
        facilities.push((create_at(&app, &editor, "MEAL_POINT", p.0, p.1).await, p));
    }
    let q = r#"query($p: PointInput!, $t: TravelInput) { reachableFacilities(from: $p, minutes: 10, travel: $t) {
        travelMinutes distanceMeters model facility { id } } }"#;
    let mut checked = 0;
    for _ in 0..12 {
        let origin = random_point(&mut rng);
        let response =
            app.gql(q, json!({ "p": { "lon": origin.0, "lat": origin.1 }, "t": travel("NETWORK") }), None).await;
        let Some(from) = r.snap(origin) else {
            // Off the network (or on an ambiguous spot, which the service answers either way).
            assert!(response["errors"].is_null() || error_codes(&response) == ["BAD_USER_INPUT"], "{response}");
            continue;
        };
        assert!(response["errors"].is_null(), "{response}");
        let dist = r.dijkstra(&from);
        let hits = response["data"]["reachableFacilities"].as_array().unwrap();
        let minutes: Vec<f64> = hits.iter().map(|h| h["travelMinutes"].as_f64().unwrap()).collect();
        assert!(minutes.windows(2).all(|w| w[0] <= w[1]), "sorted by travel time: {minutes:?}");
        for (id, p) in &facilities {
            let Some(to) = r.snap(*p) else { continue };
            let want = r.walk(&from, &dist, &to) / 60.0;
            let hit = hits.iter().find(|h| h["facility"]["id"] == id.as_str());
            match hit {
                Some(h) => {
                    assert_eq!(h["model"], "NETWORK");
                    let got = h["travelMinutes"].as_f64().unwrap();
                    assert!((got - want).abs() < 0.01, "{got} vs {want} minutes");
                    assert!(
                        got * 60.0 >= h["distanceMeters"].as_f64().unwrap() * 0.99,
                        "never shorter than the straight line"
                    );
                    checked += 1;
                }
                None => assert!(want > 10.0 - 0.01, "a facility {want} minutes away is missing"),
            }
        }
    }
    assert!(checked >= 5, "a meaningful instance: {checked} hits checked");
}

#[actix_web::test]
async fn network_coverage_and_site_suggestions_equal_reference_walks() {
    let app = TestApp::spawn().await;
    with_monaco(&app).await;
    let r = monaco();
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(11);
    let mut facilities = Vec::new();
    for _ in 0..4 {
        let p = random_point_on_network(&mut rng);
        create_at(&app, &editor, "DAY_CARE_CENTER", p.0, p.1).await;
        facilities.push(p);
    }
    let create = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let mut areas = Vec::new();
    for i in 0..40 {
        let p = random_point(&mut rng);
        let elderly = rng.random_range(1..300);
        let input = json!({ "name": format!("area {i}"), "location": { "lon": p.0, "lat": p.1 }, "population": 1000, "elderlyPopulation": elderly });
        let id = app.ok(create, json!({ "input": input }), Some(&editor)).await["createResidentialArea"]["id"].clone();
        areas.push((id, p, elderly));
    }
    let budget_m = 5.0 * 60.0;
    let snaps: Vec<Option<RefSnap>> = facilities.iter().map(|&f| r.snap(f)).collect();
    let dists: Vec<Option<Vec<f64>>> = snaps.iter().map(|s| s.as_ref().map(|s| r.dijkstra(s))).collect();
    let nearest = |p: (f64, f64)| -> Option<f64> {
        let to = r.snap(p)?;
        snaps.iter().zip(&dists).filter_map(|(s, d)| Some(r.walk(s.as_ref()?, d.as_ref()?, &to))).min_by(f64::total_cmp)
    };
    let input = json!({ "minutes": 5.0, "travel": travel("NETWORK") });
    let q = r#"query($input: CoverageInput!) {
        coverage(input: $input) { residentialAreas coveredResidentialAreas coveredElderlyPopulation }
        residentialAreaCoverage(input: $input) }"#;
    let data = app.ok(q, json!({ "input": input }), None).await;
    let features = data["residentialAreaCoverage"]["features"].as_array().unwrap();
    let mut covered = 0;
    let mut covered_elderly = 0;
    for (id, p, elderly) in &areas {
        let f = features.iter().find(|f| &f["properties"]["id"] == id).unwrap();
        let Some(want) = nearest(*p) else { continue };
        let got = f["properties"]["travelMinutes"].as_f64().unwrap();
        assert!((got - want / 60.0).abs() < 0.01, "{got} vs {} minutes", want / 60.0);
        assert_eq!(f["properties"]["model"], "NETWORK");
        assert_eq!(f["properties"]["covered"], want <= budget_m, "{want} m");
        if want <= budget_m {
            covered += 1;
            covered_elderly += elderly;
        }
    }
    let report = &data["coverage"];
    assert_eq!(report["residentialAreas"], 40);
    // Ambiguous reference snaps are skipped above, so the totals may only differ by those.
    let reported = report["coveredResidentialAreas"].as_i64().unwrap();
    assert!(reported >= covered && covered > 0 && reported < 40, "{reported} vs {covered}");
    assert!(report["coveredElderlyPopulation"].as_i64().unwrap() >= covered_elderly);

    // The gaps hold exactly the uncovered areas.
    let q =
        r#"query($input: CoverageInput!) { coverageGaps(input: $input) { residentialAreaIds nearestTravelMinutes } }"#;
    let gaps = app.ok(q, json!({ "input": input }), None).await;
    let mut in_gaps: Vec<String> = gaps["coverageGaps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["residentialAreaIds"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()))
        .collect();
    let mut uncovered_ids: Vec<String> = features
        .iter()
        .filter(|f| f["properties"]["covered"] == false)
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect();
    in_gaps.sort();
    uncovered_ids.sort();
    assert_eq!(in_gaps, uncovered_ids);

    // One site: the exhaustive best among the uncovered areas.
    let q = r#"query($input: SiteSuggestionInput!) { suggestSites(input: $input) { sites { candidateIndex newlyCoveredElderly } } }"#;
    let data = app.ok(q, json!({ "input": { "coverage": input, "count": 1 } }), None).await;
    let site = &data["suggestSites"]["sites"][0];
    let uncovered: Vec<&(Value, (f64, f64), i64)> = areas
        .iter()
        .filter(|(id, _, _)| {
            !features.iter().any(|f| &f["properties"]["id"] == id && f["properties"]["covered"] == true)
        })
        .collect();
    let mut sorted = uncovered.clone();
    sorted.sort_by_key(|(id, _, _)| api::domain::ids::ResidentialAreaId::decode(id.as_str().unwrap()).unwrap().0);
    let gain = |c: (f64, f64)| -> i64 {
        sorted.iter().filter(|(_, p, _)| r.pair(c, *p).is_some_and(|w| w <= budget_m)).map(|(_, _, e)| e).sum()
    };
    let best = sorted.iter().map(|(_, p, _)| gain(*p)).max().unwrap();
    let chosen = sorted[site["candidateIndex"].as_u64().unwrap() as usize].1;
    assert_eq!(site["newlyCoveredElderly"].as_i64().unwrap(), best);
    assert_eq!(gain(chosen), best);
}

#[actix_web::test]
async fn network_service_circles_are_isochrones() {
    let app = TestApp::spawn().await;
    with_monaco(&app).await;
    let r = monaco();
    let editor = app.token(Role::Editor).await;
    let casino = random_point_on_network(&mut StdRng::seed_from_u64(3));
    let id = create_at(&app, &editor, "OUTDOOR_WORKER_STATION", casino.0, casino.1).await;
    let q = r#"query($id: ID!, $t: TravelInput) { facility(id: $id) { serviceCircle(minutes: 5, travel: $t) } }"#;
    let data = app.ok(q, json!({ "id": id, "t": travel("NETWORK") }), None).await;
    let geometry = &data["facility"]["serviceCircle"];
    let polygons: Vec<geo::Polygon<f64>> = match geometry["type"].as_str().unwrap() {
        "Polygon" => vec![polygon(&geometry["coordinates"])],
        "MultiPolygon" => geometry["coordinates"].as_array().unwrap().iter().map(polygon).collect(),
        other => panic!("{other}"),
    };
    let area = geo::MultiPolygon::new(polygons);
    let from = r.snap(casino).unwrap();
    let dist = r.dijkstra(&from);
    let budget = 300.0;
    let margin = 40.0;
    let reached_edges: Vec<&(usize, usize, f64)> =
        r.edges.iter().filter(|(a, b, _)| dist[*a] <= budget || dist[*b] <= budget).collect();
    let (mut inside, mut outside) = (0, 0);
    for (n, &p) in r.positions.iter().enumerate() {
        if geodesic(p, casino) > 2_000.0 {
            continue;
        }
        let contained = area.contains(&Point::new(p.0, p.1));
        if dist[n] < budget * 0.9 {
            assert!(contained, "node {n} at {} m is reached", dist[n]);
            inside += 1;
        } else if dist[n] > budget
            && reached_edges
                .iter()
                .all(|(a, b, _)| segment_distance(p, r.positions[*a], r.positions[*b]) > margin * 1.5)
            && geodesic(p, casino) > margin * 1.5
        {
            assert!(!contained, "node {n} at {} m, far from every reached street, is outside", dist[n]);
            outside += 1;
        }
    }
    assert!(inside > 20 && outside > 100, "{inside} {outside}");
    // AUTO on the network draws the same isochrone (perhaps on the region built a tile wider
    // meanwhile, whose nodes are numbered and projected differently: the same walks differ in
    // the last bits of a float, and the outline's vertices by up to ~1e-7 degrees, seen in CI).
    let auto = app.ok(q, json!({ "id": id, "t": travel("AUTO") }), None).await;
    assert!(same_geometry(&auto["facility"]["serviceCircle"], geometry), "{auto} {geometry}");
}

/// Equal JSON, numbers within 1e-6 of each other (degrees: about 10 cm).
fn same_geometry(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= 1e-6,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_geometry(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_geometry(v, w)))
        }
        _ => a == b,
    }
}

fn polygon(rings: &Value) -> geo::Polygon<f64> {
    let ring = |r: &Value| {
        let coords: Vec<(f64, f64)> =
            r.as_array().unwrap().iter().map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())).collect();
        assert_eq!(coords.first(), coords.last(), "closed ring");
        geo::LineString::from(coords)
    };
    let rings = rings.as_array().unwrap();
    geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
}

/// Metres from `p` to the segment `a`-`b`, in a projection around `p`.
fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let kx = 111_320.0 * p.1.to_radians().cos();
    let local = |q: (f64, f64)| ((q.0 - p.0) * kx, (q.1 - p.1) * 110_574.0);
    let ((ax, ay), (bx, by)) = (local(a), local(b));
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) };
    ((ax + t * dx).powi(2) + (ay + t * dy).powi(2)).sqrt()
}

#[actix_web::test]
async fn auto_falls_back_off_the_network_and_a_new_network_is_used_without_a_restart() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_on(&app.database_url).await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(5);
    let square = random_point_on_network(&mut rng);
    let meal_point = loop {
        let p = random_point_on_network(&mut rng);
        if monaco().pair(square, p).is_some_and(|m| m < 600.0) {
            break p;
        }
    };
    create_at(&app, &editor, "MEAL_POINT", meal_point.0, meal_point.1).await;
    let q = r#"query($p: PointInput!, $t: TravelInput) { reachableFacilities(from: $p, minutes: 15, travel: $t) { model travelMinutes } }"#;
    let ask = |app: &TestApp, p: (f64, f64), model: &'static str| {
        let vars = json!({ "p": { "lon": p.0, "lat": p.1 }, "t": travel(model) });
        let app = app.clone_handle();
        async move { app.gql(q, vars, None).await }
    };
    // No network yet: AUTO is the straight line, NETWORK is refused.
    let before = ask(&app, square, "AUTO").await;
    assert_eq!(before["data"]["reachableFacilities"][0]["model"], "STRAIGHT_LINE", "{before}");
    assert_eq!(error_codes(&ask(&app, square, "NETWORK").await), ["BAD_USER_INPUT"]);
    // Imported through another process: this one uses it from its next query on.
    with_monaco(&other).await;
    let after = ask(&app, square, "AUTO").await;
    assert_eq!(after["data"]["reachableFacilities"][0]["model"], "NETWORK", "{after}");
    let by_network = after["data"]["reachableFacilities"][0]["travelMinutes"].as_f64().unwrap();
    let want = monaco().pair(square, meal_point).unwrap() / 60.0;
    assert!((by_network - want).abs() < 0.01, "{by_network} vs {want}");
    // Out at sea, 2 km from any street: AUTO falls back (a facility on a boat 200 m away is
    // reached in a straight line), NETWORK is refused.
    let sea = (7.45, 43.715);
    create_at(&app, &editor, "OUTDOOR_WORKER_STATION", 7.4525, 43.7155).await;
    let auto = ask(&app, sea, "AUTO").await;
    assert!(auto["errors"].is_null(), "{auto}");
    let hits = auto["data"]["reachableFacilities"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h["model"] == "STRAIGHT_LINE"), "{auto}");
    let refused = ask(&app, sea, "NETWORK").await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"]);
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("walking network"));
}

/// Monaco's plazas (closed `highway=pedestrian` ways with `area=yes`) as rings of positions.
fn monaco_plazas() -> Vec<Vec<(f64, f64)>> {
    use osmpbf::{Element, ElementReader};
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/osm/monaco.osm.pbf");
    let (mut rings, mut at) = (Vec::new(), std::collections::HashMap::new());
    ElementReader::from_path(&path)
        .unwrap()
        .for_each(|e| match e {
            Element::Way(w) => {
                let tags: Vec<(&str, &str)> = w.tags().collect();
                let refs: Vec<i64> = w.refs().collect();
                if tags.contains(&("highway", "pedestrian"))
                    && tags.contains(&("area", "yes"))
                    && refs[0] == refs[refs.len() - 1]
                {
                    rings.push(refs);
                }
            }
            Element::DenseNode(n) => {
                at.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::Node(n) => {
                at.insert(n.id(), (n.lon(), n.lat()));
            }
            _ => {}
        })
        .unwrap();
    rings.iter().map(|r| r.iter().map(|id| at[id]).collect()).collect()
}

/// Issue 11, item 6: from a point on a plaza the walk reaches the city around it (it snaps to
/// a large part of the network, and plazas are walked across), and outlines are generalised.
#[actix_web::test]
async fn service_circles_from_plazas_reach_the_city_and_their_outlines_are_generalised() {
    use geo::{Centroid, GeodesicArea, LineString, Polygon};
    let app = TestApp::spawn().await;
    with_monaco(&app).await;
    let editor = app.token(Role::Editor).await;
    let q = r#"query($id: ID!, $g: Float) { facility(id: $id) { serviceCircle(minutes: 15, travel: { model: NETWORK }, generalizeMeters: $g) } }"#;
    let as_polygons = |g: &Value| -> geo::MultiPolygon<f64> {
        let polygons = match g["type"].as_str().unwrap() {
            "Polygon" => vec![g["coordinates"].clone()],
            _ => g["coordinates"].as_array().unwrap().clone(),
        };
        let ring = |r: &Value| -> LineString<f64> {
            r.as_array().unwrap().iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).collect()
        };
        geo::MultiPolygon::new(
            polygons
                .iter()
                .map(|p| {
                    let rings = p.as_array().unwrap();
                    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
                })
                .collect(),
        )
    };
    let vertices = |m: &geo::MultiPolygon<f64>| m.0.iter().map(|p| p.exterior().0.len()).sum::<usize>();
    // 15 elderly minutes: 675 m; the circle of that radius.
    let circle = std::f64::consts::PI * 675.0 * 675.0;
    let plazas = monaco_plazas();
    assert!(plazas.len() >= 10, "{} plazas", plazas.len());
    let mut checked = 0;
    for ring in &plazas {
        let polygon = Polygon::new(LineString::from(ring.clone()), vec![]);
        let Some(c) = polygon.centroid().filter(|c| geo::Contains::contains(&polygon, c)) else { continue };
        let id = create_at(&app, &editor, "OUTDOOR_WORKER_STATION", c.x(), c.y()).await;
        let generalised = app.ok(q, json!({ "id": id }), None).await["facility"]["serviceCircle"].clone();
        let exact = app.ok(q, json!({ "id": id, "g": 0 }), None).await["facility"]["serviceCircle"].clone();
        let (generalised, exact) = (as_polygons(&generalised), as_polygons(&exact));
        checked += 1;
        let area = generalised.geodesic_area_unsigned();
        // The reference walk from the same point (snapped to a component of 50 nodes or more,
        // plazas crossed as the import links them): every node it reaches well inside the
        // budget is inside the outline, and it reaches far more than a plaza's fragment.
        let r = monaco();
        let Some(from) = r.snap((c.x(), c.y())) else { continue };
        let dist = r.dijkstra(&from);
        let reached: Vec<usize> = (0..dist.len()).filter(|&n| dist[n] < 675.0 * 0.9).collect();
        assert!(reached.len() > 100 && r.component[r.edges[from.edge].0] >= 50, "from {c:?}: {}", reached.len());
        for &n in &reached {
            let p = geo::Point::new(r.positions[n].0, r.positions[n].1);
            assert!(geo::Contains::contains(&generalised, &p), "from {c:?}: node {n} at {} m", dist[n]);
        }
        eprintln!(
            "plaza at {:.5},{:.5}: {area:.0} m^2 ({:.0}% of the circle), {} vertices ({} ungeneralised)",
            c.x(),
            c.y(),
            100.0 * area / circle,
            vertices(&generalised),
            vertices(&exact)
        );
        assert!((area - exact.geodesic_area_unsigned()).abs() < 0.03 * area);
        assert!(vertices(&generalised) * 3 < vertices(&exact), "{} vs {}", vertices(&generalised), vertices(&exact));
    }
    assert!(checked >= 10, "{checked} plazas with their centroid inside");
    let bad = app.gql(q, json!({ "id": "x", "g": -1 }), None).await;
    assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"], "{bad}");
}

/// Accessibility on the walking network (issue 14, item 1): E2SFCA computed here from the
/// definition, with each area's walking times to the facilities it reaches as
/// `reachableFacilities` gives them (walks are the same both ways).
#[actix_web::test]
async fn accessibility_on_the_network_equals_the_definition_over_reachable_walks() {
    let app = TestApp::spawn().await;
    with_monaco(&app).await;
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(1414);
    let create = "mutation($input: CreateFacilityInput!) { createFacility(input: $input) { id } }";
    let mut supply = BTreeMap::new();
    for i in 0..30 {
        let p = random_point_on_network(&mut rng);
        let capacity: i64 = rng.random_range(5..60);
        let input = json!({ "kind": "DAY_CARE_CENTER", "name": format!("日间照料{i}"),
                            "location": { "lon": p.0, "lat": p.1 }, "capacity": capacity });
        let id = app.ok(create, json!({ "input": input }), Some(&editor)).await["createFacility"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        supply.insert(id, capacity as f64);
    }
    let q = "mutation($input: CreateResidentialAreaInput!) { createResidentialArea(input: $input) { id } }";
    let mut areas = Vec::new();
    for i in 0..60 {
        let p = random_point_on_network(&mut rng);
        let elderly: i64 = rng.random_range(10..400);
        let input = json!({ "name": format!("小区{i}"), "location": { "lon": p.0, "lat": p.1 },
                            "population": elderly * 4, "elderlyPopulation": elderly });
        app.ok(q, json!({ "input": input }), Some(&editor)).await;
        areas.push((p, elderly as f64));
    }
    // Each area's trips, through the public API.
    let reachable = r#"query($p: PointInput!, $t: TravelInput) { reachableFacilities(from: $p, minutes: 15, travel: $t) { travelMinutes model facility { id } } }"#;
    let mut trips: Vec<Vec<(String, f64)>> = Vec::new();
    for (p, _) in &areas {
        let hits = app.ok(reachable, json!({ "p": { "lon": p.0, "lat": p.1 }, "t": travel("NETWORK") }), None).await;
        trips.push(
            hits["reachableFacilities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    assert_eq!(h["model"], "NETWORK");
                    (h["facility"]["id"].as_str().unwrap().to_owned(), h["travelMinutes"].as_f64().unwrap())
                })
                .collect(),
        );
    }
    let weight = |t: f64| [(5.0, 1.0), (10.0, 0.68), (15.0, 0.22)].iter().find(|z| t <= z.0).map_or(0.0, |z| z.1);
    let mut demand: BTreeMap<&str, f64> = BTreeMap::new();
    for (reached, (_, elderly)) in trips.iter().zip(&areas) {
        for (id, t) in reached {
            *demand.entry(id.as_str()).or_default() += elderly * weight(*t);
        }
    }
    let want: Vec<f64> = trips
        .iter()
        .map(|reached| {
            reached
                .iter()
                .filter(|(id, _)| demand[id.as_str()] > 0.0)
                .map(|(id, t)| supply[id] / demand[id.as_str()] * weight(*t))
                .sum::<f64>()
                * 1_000.0
        })
        .collect();
    assert!(want.iter().filter(|s| **s > 0.0).count() > 10, "the walks must reach something: {want:?}");
    let query =
        r#"query($input: AccessibilityInput!) { accessibility(input: $input) { facilitiesCounted areas { score } } }"#;
    let input = json!({ "coverage": { "travel": travel("NETWORK") } });
    let got = app.ok(query, json!({ "input": input }), None).await["accessibility"].clone();
    let scores: Vec<f64> = got["areas"].as_array().unwrap().iter().map(|a| a["score"].as_f64().unwrap()).collect();
    assert_eq!(scores.len(), want.len());
    for (i, (g, w)) in scores.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-9 * w.max(1e-12), "area {i}: {g} against {w}");
    }
}

#[actix_web::test]
async fn network_travel_time_grids_equal_reference_walks_and_say_which_cells_are_off_the_network() {
    let app = TestApp::spawn().await;
    with_monaco(&app).await;
    let r = monaco();
    let editor = app.token(Role::Editor).await;
    let mut rng = StdRng::seed_from_u64(41);
    let mut sources = Vec::new();
    for _ in 0..8 {
        let p = random_point_on_network(&mut rng);
        create_at(&app, &editor, "MEAL_POINT", p.0, p.1).await;
        let s = r.snap(p).unwrap();
        sources.push((s, r.dijkstra(&s)));
    }
    // Monaco and some of the sea beside it.
    let within = json!({ "type": "Polygon", "coordinates": [[[7.415, 43.728], [7.44, 43.728], [7.44, 43.748],
                                                               [7.415, 43.748], [7.415, 43.728]]] });
    let q = r#"query($scope: ScopeInput, $t: TravelInput) { travelTimeGrid(scope: $scope, resolution: 10, maxMinutes: 10, travel: $t) {
        cells { h3 center { lon lat } minutes model reach } } }"#;
    let grid = app.ok(q, json!({ "scope": { "within": within }, "t": travel("NETWORK") }), None).await;
    let cells = grid["travelTimeGrid"]["cells"].as_array().unwrap();
    let (mut timed, mut beyond, mut off) = (0, 0, 0);
    for cell in cells {
        let center = (cell["center"]["lon"].as_f64().unwrap(), cell["center"]["lat"].as_f64().unwrap());
        let Some(to) = r.snap(center) else {
            // Off the network, or on an ambiguous spot the service may snap either way.
            if cell["reach"] == "OFF_NETWORK" {
                assert!(cell["minutes"].is_null());
                off += 1;
            }
            continue;
        };
        let want = sources.iter().map(|(s, dist)| r.walk(s, dist, &to)).fold(f64::INFINITY, f64::min) / 60.0;
        match cell["minutes"].as_f64() {
            Some(got) => {
                assert!((got - want).abs() < 0.01, "{cell}: {got} vs {want} minutes");
                assert_eq!((&cell["reach"], &cell["model"]), (&json!("REACHED"), &json!("NETWORK")));
                timed += 1;
            }
            None => {
                assert!(want > 10.0 - 0.01, "{cell}: a facility {want} minutes away is missing");
                assert_eq!(cell["reach"], "BEYOND");
                beyond += 1;
            }
        }
    }
    assert!(timed > 50 && beyond > 5 && off > 5, "{timed} timed, {beyond} beyond, {off} off the network");
}

#[actix_web::test]
async fn network_tiles_draw_the_streets_of_the_extract() {
    use crate::tiles::{fetch, lon_lat, tile_of};
    let app = TestApp::spawn().await;
    let (x, y) = tile_of(7.4246, 43.7384, 15);
    let path = format!("/tiles/network/15/{x}/{y}.mvt");
    assert_eq!(fetch(&app, &path, &[]).await.status, 204, "no network, no streets");
    with_monaco(&app).await;
    let r = monaco();
    let tile = fetch(&app, &path, &[]).await;
    assert_eq!(tile.status, 200);
    let reader = mvt_reader::Reader::new(tile.body).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), ["network"]);
    let mut drawn = Vec::new();
    for f in reader.get_features(0).unwrap() {
        let lines = match f.geometry {
            geo::Geometry::MultiLineString(m) => m.0,
            geo::Geometry::LineString(l) => vec![l],
            other => panic!("{other:?}"),
        };
        // Segments that meet are drawn as one line: each pair of neighbouring points is one.
        for line in lines {
            let at = |c: &geo::Coord<f32>| lon_lat(x, y, 15, f64::from(c.x), f64::from(c.y));
            drawn.extend(line.0.windows(2).map(|w| (at(&w[0]), at(&w[1]))));
        }
    }
    // Each drawn segment is an edge of the extract (either way round), to a tile unit (~0.4 m).
    let close = |p: (f64, f64), q: (f64, f64)| (p.0 - q.0).abs() < 1e-5 && (p.1 - q.1).abs() < 1e-5;
    let is_edge = |s: &((f64, f64), (f64, f64)), e: &(usize, usize, f64)| {
        let (a, b) = (r.positions[e.0], r.positions[e.1]);
        (close(s.0, a) && close(s.1, b)) || (close(s.0, b) && close(s.1, a))
    };
    for s in &drawn {
        assert!(r.edges.iter().any(|e| is_edge(s, e)), "{s:?} is no street of the extract");
    }
    // And the extract's streets inside the tile are drawn.
    let (west, north) = lon_lat(x, y, 15, 0.0, 0.0);
    let (east, south) = lon_lat(x, y, 15, 4096.0, 4096.0);
    let inside = |p: (f64, f64)| p.0 > west && p.0 < east && p.1 > south && p.1 < north;
    let within: Vec<_> =
        r.edges.iter().filter(|e| inside(r.positions[e.0]) && inside(r.positions[e.1]) && e.2 > 1.0).collect();
    let missing = within.iter().filter(|e| !drawn.iter().any(|s| is_edge(s, e))).count();
    assert!(within.len() > 200, "{}", within.len());
    assert!(missing * 50 < within.len(), "{missing} of {} streets missing", within.len());
}
