//! The walking-network import against real OpenStreetMap data (`data/osm`, ODbL).

use api::geo::network::WalkingNetwork;
use api::osm_import::{is_walkable, read_walking_network};
use osmpbf::{Element, ElementReader};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

fn extract(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/osm").join(name);
    assert!(path.exists(), "{} is missing: the OSM extracts live in data/osm (see data/README.md)", path.display());
    path
}

/// A second, independent count of the same rule: sets of node ids and id pairs.
fn independent_count(path: &PathBuf) -> (usize, usize) {
    let mut ways: Vec<Vec<i64>> = Vec::new();
    let mut present: HashMap<i64, ()> = HashMap::new();
    ElementReader::from_path(path)
        .unwrap()
        .for_each(|e| match e {
            Element::Way(w) if is_walkable(w.tags()) => ways.push(w.refs().collect()),
            Element::Node(n) => {
                present.insert(n.id(), ());
            }
            Element::DenseNode(n) => {
                present.insert(n.id(), ());
            }
            _ => {}
        })
        .unwrap();
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for refs in &ways {
        for pair in refs.windows(2) {
            if pair[0] != pair[1] && present.contains_key(&pair[0]) && present.contains_key(&pair[1]) {
                nodes.insert(pair[0]);
                nodes.insert(pair[1]);
                edges.insert((pair[0].min(pair[1]), pair[0].max(pair[1])));
            }
        }
    }
    (nodes.len(), edges.len())
}

#[test]
fn the_monaco_import_has_the_node_and_edge_counts_an_independent_count_finds() {
    let path = extract("monaco.osm.pbf");
    let network = read_walking_network(&path, &|_| {}).unwrap();
    let (nodes, edges) = independent_count(&path);
    assert_eq!((network.positions.len(), network.edges.len()), (nodes, edges));
    eprintln!("monaco walking network: {nodes} nodes, {edges} edges, {} ways", network.ways);
    // Same order of size as the plain reader of data/osm/SOURCES.md (24,394 / 25,515),
    // which takes every highway; this rule drops motorways, private ways and foot=no.
    assert!((15_000..30_000).contains(&nodes), "{nodes}");
    let graph = WalkingNetwork::new(network.positions, network.edges.iter().copied());
    assert_eq!(graph.edge_count(), edges);
    // Walking from the Place du Casino reaches thousands of nodes within 15 elderly minutes.
    let casino = api::geo::LonLat { lon: 7.4275, lat: 43.7390 };
    let reached = graph.walk_distances_from(casino, 500.0, 675.0).unwrap();
    let count = reached.iter().filter(|d| d.is_finite()).count();
    assert!(count > 100, "{count}");
}

#[actix_web::test]
async fn importing_a_network_again_replaces_it_whole() {
    let app = crate::helpers::TestApp::spawn().await;
    assert!(app.store.current_walk_network().await.unwrap().is_none());
    let monaco = read_walking_network(&extract("monaco.osm.pbf"), &|_| {}).unwrap();
    let data = api::geo::network::encode(&monaco.positions, &monaco.edges);
    let first =
        app.store.replace_walk_network("monaco", monaco.positions.len(), monaco.edges.len(), data).await.unwrap();
    let andorra = read_walking_network(&extract("andorra.osm.pbf"), &|_| {}).unwrap();
    let data = api::geo::network::encode(&andorra.positions, &andorra.edges);
    let second =
        app.store.replace_walk_network("andorra", andorra.positions.len(), andorra.edges.len(), data).await.unwrap();
    assert!(second.id > first.id);
    let (info, bytes) = app.store.current_walk_network().await.unwrap().unwrap();
    assert_eq!(info, second);
    let (positions, edges) = api::geo::network::decode(&bytes).unwrap();
    assert_eq!((positions.len(), edges.len()), (andorra.positions.len(), andorra.edges.len()));
    assert_eq!(positions, andorra.positions);
}
