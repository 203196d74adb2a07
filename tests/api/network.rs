//! The walking-network import against real OpenStreetMap data (`data/osm`, ODbL).

use api::geo::LonLat;
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
/// Node ids and positions, and the closed pedestrian areas (plazas) as rings of node ids.
type Plazas = (HashMap<i64, (f64, f64)>, Vec<Vec<i64>>);

fn independent_count(path: &PathBuf) -> (usize, BTreeSet<(i64, i64)>, Plazas) {
    let mut ways: Vec<Vec<i64>> = Vec::new();
    let mut plazas: Vec<Vec<i64>> = Vec::new();
    let mut present: HashMap<i64, (f64, f64)> = HashMap::new();
    ElementReader::from_path(path)
        .unwrap()
        .for_each(|e| match e {
            Element::Way(w) if is_walkable(w.tags()) => {
                let tags: Vec<(&str, &str)> = w.tags().collect();
                let refs: Vec<i64> = w.refs().collect();
                if tags.contains(&("highway", "pedestrian"))
                    && tags.contains(&("area", "yes"))
                    && refs[0] == refs[refs.len() - 1]
                {
                    plazas.push(refs.clone());
                }
                ways.push(refs);
            }
            Element::Node(n) => {
                present.insert(n.id(), (n.lon(), n.lat()));
            }
            Element::DenseNode(n) => {
                present.insert(n.id(), (n.lon(), n.lat()));
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
    (nodes.len(), edges, (present, plazas))
}

/// Whether `p` is inside the ring (even-odd ray casting).
fn inside(ring: &[(f64, f64)], p: (f64, f64)) -> bool {
    let mut inside = false;
    for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < a.0 + (p.1 - a.1) / (b.1 - a.1) * (b.0 - a.0) {
            inside = !inside;
        }
    }
    inside
}

#[test]
fn the_monaco_import_has_the_node_and_edge_counts_an_independent_count_finds() {
    let path = extract("monaco.osm.pbf");
    let network = read_walking_network(&path, &|_| {}).unwrap();
    let (nodes, edges, (positions, plazas)) = independent_count(&path);
    assert_eq!(network.positions.len(), nodes);
    // Beyond the ways' own edges: lines across plazas, each between two nodes of one plaza,
    // its points (checked at nine places along it) inside the plaza.
    let crossings = network.edges.len() - edges.len();
    assert!(crossings > 0 && !plazas.is_empty(), "{} plazas", plazas.len());
    let mut across = 0;
    for &(a, b) in &network.edges {
        let (ia, ib) = (network.osm_ids[a as usize], network.osm_ids[b as usize]);
        if edges.contains(&(ia.min(ib), ia.max(ib))) {
            continue;
        }
        across += 1;
        let plaza = plazas.iter().find(|r| r.contains(&ia) && r.contains(&ib)).expect("both ends on one plaza");
        let ring: Vec<(f64, f64)> = plaza[..plaza.len() - 1].iter().map(|id| positions[id]).collect();
        let (pa, pb) = (positions[&ia], positions[&ib]);
        for k in 1..10 {
            let t = f64::from(k) / 10.0;
            let p = (pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1));
            assert!(inside(&ring, p), "edge {ia}-{ib} leaves its plaza at {p:?}");
        }
    }
    assert_eq!(across, crossings, "every extra edge crosses a plaza");
    eprintln!("monaco walking network: {nodes} nodes, {} edges ({crossings} across plazas)", network.edges.len());
    // Same order of size as the plain reader of data/osm/SOURCES.md (24,394 / 25,515),
    // which takes every highway; this rule drops motorways, private ways and foot=no.
    assert!((15_000..30_000).contains(&nodes), "{nodes}");
    let graph = WalkingNetwork::new(network.positions, network.edges.iter().copied());
    assert_eq!(graph.edge_count(), edges.len() + crossings);
    // Walking from the Place du Casino reaches thousands of nodes within 15 elderly minutes.
    let casino = api::geo::LonLat { lon: 7.4275, lat: 43.7390 };
    let reached = graph.walk_distances_from(casino, 500.0, 675.0).unwrap();
    let count = reached.iter().filter(|d| d.is_finite()).count();
    assert!(count > 100, "{count}");
}

#[test]
fn walks_across_tile_borders_equal_walks_on_the_untiled_network_at_every_tile_size() {
    use api::geo::bounds::Bounds;
    use api::geo::network_tiles::{TileKey, cut, join};
    for name in ["monaco.osm.pbf", "liechtenstein.osm.pbf"] {
        let osm = read_walking_network(&extract(name), &|_| {}).unwrap();
        // Origins spread over the extract: nodes taken at even steps of the node numbering.
        let origins: Vec<api::geo::LonLat> = (1..8).map(|i| osm.positions[i * osm.positions.len() / 8]).collect();
        let whole = WalkingNetwork::new(osm.positions.clone(), osm.edges.iter().copied());
        // 0.003 degrees is about 240 m: borders cross every 15-minute (675 m) walk, often twice.
        for tile_degrees in [api::geo::network_tiles::TILE_DEGREES, 0.01, 0.003, 0.0007] {
            let tiles = cut(&osm.positions, &osm.osm_ids, &osm.edges, tile_degrees, name);
            assert!(tiles.len() > 1, "{name} in one tile of {tile_degrees}");
            let joined = join(tiles.values());
            let tiled = WalkingNetwork::new(joined.positions, joined.edges.iter().copied());
            assert_eq!((tiled.node_count(), tiled.edge_count()), (whole.node_count(), whole.edge_count()));
            let mut reached = 0;
            for &from in &origins {
                let by_id = |net: &WalkingNetwork, ids: &[i64]| -> HashMap<i64, f32> {
                    let d = net.walk_distances_from(from, 500.0, 1_500.0).unwrap();
                    ids.iter().zip(d).filter(|(_, d)| d.is_finite()).map(|(&id, d)| (id, d)).collect()
                };
                let expected = by_id(&whole, &osm.osm_ids);
                reached += expected.len();
                // Only the tiles a server loads for this walk: those within its reach (the walk,
                // 1% head-room, the snapping distance) of the origin.
                let reach = Bounds::around([from]).unwrap().widened(1_500.0 * 1.01 + 500.0);
                let (low, high) = (TileKey::of(reach.sw, tile_degrees), TileKey::of(reach.ne, tile_degrees));
                let near =
                    tiles.iter().filter(|(k, _)| (low.x..=high.x).contains(&k.x) && (low.y..=high.y).contains(&k.y));
                let region = join(near.map(|(_, t)| t));
                let local = WalkingNetwork::new(region.positions, region.edges.iter().copied());
                if tile_degrees < 0.01 {
                    assert!(local.node_count() < whole.node_count(), "{name} {from:?}: the region is all of it");
                }
                // The same nodes reached, at the same distances; an origin on a node may snap
                // to another of its edges, which leaves rounding noise (1e-16 m) at most.
                for got in [by_id(&tiled, &joined.osm_ids), by_id(&local, &region.osm_ids)] {
                    let mut ids: Vec<&i64> = got.keys().collect();
                    ids.sort_unstable();
                    let mut want: Vec<&i64> = expected.keys().collect();
                    want.sort_unstable();
                    assert_eq!(ids, want, "{name} {from:?} at {tile_degrees}");
                    for (id, d) in &expected {
                        assert!((got[id] - d).abs() < 1e-6, "{name} {from:?} at {tile_degrees}: node {id}");
                    }
                }
            }
            assert!(reached > 1_000, "{name}: {reached} nodes reached from {} origins", origins.len());
        }
    }
}

/// Every stored tile joined, as the store builds a region covering the world.
async fn whole_network(
    store: &api::store::Store,
) -> Result<Option<std::sync::Arc<api::store::LoadedNetwork>>, api::store::StoreError> {
    let directory = store.network_directory().await?;
    let (sw, ne) = (LonLat { lon: -180.0, lat: -90.0 }, LonLat { lon: 179.99, lat: 89.99 });
    store.walking_network_over(&directory, sw, ne).await
}

#[actix_web::test]
async fn cities_imported_one_after_another_both_stay_and_importing_one_again_replaces_its_tiles() {
    let app = crate::helpers::TestApp::spawn().await;
    assert!(whole_network(&app.store).await.unwrap().is_none());
    let monaco = read_walking_network(&extract("monaco.osm.pbf"), &|_| {}).unwrap();
    let liechtenstein = read_walking_network(&extract("liechtenstein.osm.pbf"), &|_| {}).unwrap();
    let import = |name: &'static str, osm: &api::osm_import::OsmNetwork| {
        let store = app.store.clone();
        let (positions, ids, edges) = (osm.positions.clone(), osm.osm_ids.clone(), osm.edges.clone());
        async move { store.import_walk_network(name, &positions, &ids, &edges).await.unwrap() }
    };
    let first = import("monaco", &monaco).await;
    let second = import("liechtenstein", &liechtenstein).await;
    assert!(second.revision > first.revision);
    let both = monaco.positions.len() + liechtenstein.positions.len();
    let loaded = whole_network(&app.store).await.unwrap().unwrap();
    assert_eq!(loaded.network.node_count(), both);
    assert_eq!(loaded.network.edge_count(), monaco.edges.len() + liechtenstein.edges.len());
    // Again: the same tiles replaced, nothing duplicated.
    import("monaco", &monaco).await;
    let loaded = whole_network(&app.store).await.unwrap().unwrap();
    assert_eq!(loaded.network.node_count(), both);
    let sources = app.store.walk_network_sources().await.unwrap();
    let names: Vec<&str> = sources.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(names, ["liechtenstein", "monaco"]);
    assert_eq!(sources[1].nodes, monaco.positions.len());
    assert_eq!(sources[1].edges, monaco.edges.len());
    assert_eq!(sources[1].tiles, first.tiles);
    let (sw, ne) = sources[1].bounds;
    assert!(sw.lon < 7.41 && ne.lon > 7.44 && sw.lat < 43.72 && ne.lat > 43.75, "{sw:?} {ne:?}");
    // Removing one source leaves the other whole; removing by bounding box takes the rest.
    let removed = app.store.remove_walk_network(&api::store::NetworkSelection::Source("liechtenstein".into())).await;
    assert_eq!(removed.unwrap() as usize, second.tiles);
    let loaded = whole_network(&app.store).await.unwrap().unwrap();
    assert_eq!(loaded.network.node_count(), monaco.positions.len());
    let around_monaco = api::store::NetworkSelection::Bounds(sw, ne);
    assert_eq!(app.store.remove_walk_network(&around_monaco).await.unwrap() as usize, first.tiles);
    assert!(whole_network(&app.store).await.unwrap().is_none());
}

/// The two-city walk of issue 11: Monaco imported through one instance, Liechtenstein through
/// another on the same database, and NETWORK answers for both cities from the first.
#[actix_web::test]
async fn two_cities_imported_through_two_instances_both_answer_network_queries() {
    use crate::helpers::{TestApp, create_at};
    use serde_json::json;
    let one = TestApp::spawn().await;
    let two = TestApp::spawn_on(&one.database_url).await;
    let editor = one.token(api::domain::role::Role::Editor).await;
    let q = r#"query($p: PointInput!) { reachableFacilities(from: $p, minutes: 15, travel: { model: NETWORK }) { model travelMinutes facility { id } } }"#;
    let mut expected = Vec::new();
    for (instance, name) in [(&one, "monaco"), (&two, "liechtenstein")] {
        let osm = read_walking_network(&extract(&format!("{name}.osm.pbf")), &|_| {}).unwrap();
        instance.store.import_walk_network(name, &osm.positions, &osm.osm_ids, &osm.edges).await.unwrap();
        // A facility on a node, and an origin on the node after it along the same way.
        let (a, b) = osm.edges[osm.edges.len() / 2];
        let (at, from) = (osm.positions[a as usize], osm.positions[b as usize]);
        let id = create_at(&one, &editor, "MEAL_POINT", at.lon, at.lat).await;
        expected.push((id, from));
    }
    for (id, from) in expected {
        let answer = one.ok(q, json!({ "p": { "lon": from.lon, "lat": from.lat } }), None).await;
        let hits = answer["reachableFacilities"].as_array().unwrap();
        let hit = hits.iter().find(|h| h["facility"]["id"] == id.as_str());
        assert!(hit.is_some_and(|h| h["model"] == "NETWORK"), "{from:?}: {answer}");
    }
}

/// A network stored by an earlier version (one row, no OSM ids) is moved into tiles on start.
#[actix_web::test]
async fn a_network_stored_as_one_row_by_an_earlier_version_is_moved_into_tiles() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = crate::helpers::TestApp::spawn().await;
    let osm = read_walking_network(&extract("monaco.osm.pbf"), &|_| {}).unwrap();
    entity::walk_network::ActiveModel {
        source: Set("monaco (old)".into()),
        node_count: Set(osm.positions.len() as i32),
        edge_count: Set(osm.edges.len() as i32),
        data: Set(api::geo::network::encode(&osm.positions, &osm.edges)),
        imported_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&sea_orm::Database::connect(&app.database_url).await.unwrap())
    .await
    .unwrap();
    let again = api::store::Store::connect(&app.database_url, 2).await.unwrap();
    let loaded = whole_network(&again).await.unwrap().unwrap();
    assert_eq!((loaded.network.node_count(), loaded.network.edge_count()), (osm.positions.len(), osm.edges.len()));
    let sources = again.walk_network_sources().await.unwrap();
    assert_eq!(sources.iter().map(|s| s.nodes).sum::<usize>(), osm.positions.len());
    assert_eq!(sources[0].source, "monaco (old)");
}

/// Monaco as two extracts clipped at a meridian, sharing the nodes of the ways that cross it:
/// imported one after the other into the tiles they share, both stay whole; importing one
/// again changes nothing; removing one leaves the other exactly.
#[actix_web::test]
async fn neighbouring_extracts_share_border_tiles_and_each_can_be_reimported_or_removed_alone() {
    use api::osm_import::OsmNetwork;
    let app = crate::helpers::TestApp::spawn().await;
    let osm = read_walking_network(&extract("monaco.osm.pbf"), &|_| {}).unwrap();
    // Each edge goes west or east by its midpoint; each part takes the nodes its edges use.
    let part = |west: bool| -> OsmNetwork {
        let mut number: HashMap<u32, u32> = HashMap::new();
        let mut out = OsmNetwork::default();
        for &(a, b) in &osm.edges {
            let mid = (osm.positions[a as usize].lon + osm.positions[b as usize].lon) / 2.0;
            if (mid < 7.4225) != west {
                continue;
            }
            let mut node = |n: u32| {
                *number.entry(n).or_insert_with(|| {
                    out.positions.push(osm.positions[n as usize]);
                    out.osm_ids.push(osm.osm_ids[n as usize]);
                    (out.positions.len() - 1) as u32
                })
            };
            let (a, b) = (node(a), node(b));
            out.edges.push((a, b));
        }
        out
    };
    let (west, east) = (part(true), part(false));
    let shared = west.osm_ids.iter().filter(|id| east.osm_ids.contains(id)).count();
    assert!(shared > 10 && !west.edges.is_empty() && !east.edges.is_empty(), "{shared} shared nodes");
    let import = |name: &'static str, n: &OsmNetwork| {
        let store = app.store.clone();
        let (p, i, e) = (n.positions.clone(), n.osm_ids.clone(), n.edges.clone());
        async move { store.import_walk_network(name, &p, &i, &e).await.unwrap() }
    };
    let counts = |net: &WalkingNetwork| (net.node_count(), net.edge_count());
    // The import keeps only nodes that edges use, so the parts hold every node between them.
    let whole = (osm.positions.len(), osm.edges.len());
    import("west", &west).await;
    import("east", &east).await;
    assert_eq!(counts(&whole_network(&app.store).await.unwrap().unwrap().network), whole);
    import("west", &west).await;
    assert_eq!(counts(&whole_network(&app.store).await.unwrap().unwrap().network), whole, "a re-import adds nothing");
    app.store.remove_walk_network(&api::store::NetworkSelection::Source("west".into())).await.unwrap();
    let left = whole_network(&app.store).await.unwrap().unwrap();
    assert_eq!(counts(&left.network), (east.positions.len(), east.edges.len()), "east alone, whole");
    // Removing what is not stored fails and changes nothing.
    let again = app.store.remove_walk_network(&api::store::NetworkSelection::Source("west".into())).await;
    assert!(matches!(again, Err(api::store::StoreError::NotFound)), "{again:?}");
    assert_eq!(counts(&whole_network(&app.store).await.unwrap().unwrap().network), counts(&left.network));
}

/// `import-osm` of a file that is not a usable extract (nothing walkable, cut short, not PBF)
/// fails with a one-line error and leaves the stored network exactly as it was.
#[actix_web::test]
async fn import_osm_refuses_unusable_files_and_leaves_the_stored_network_as_it_was() {
    use crate::processes::command;
    let (url, dir) = crate::helpers::fresh_database().await;
    // As a user runs it: no backtrace (the test harness may ask for them).
    let run = |args: &[&str]| command(&url, args).env("RUST_LIB_BACKTRACE", "0").output().unwrap();
    let monaco = extract("monaco.osm.pbf");
    let out = run(&["import-osm", monaco.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = || String::from_utf8(run(&["network", "list"]).stdout).unwrap();
    let before = listed();
    assert!(before.starts_with("monaco\t"), "{before}");
    let folder = std::env::temp_dir().join(format!("service-circle-osm-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let bytes = std::fs::read(&monaco).unwrap();
    let truncated = folder.join("truncated.osm.pbf");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = folder.join("text.osm.pbf");
    std::fs::write(&text, "this is not a protocol buffer\n").unwrap();
    let nothing = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/fixtures/no-walkable-ways.osm.pbf");
    // Liechtenstein with its first two blocks of nodes swapped: nodes out of id order.
    let liechtenstein = extract("liechtenstein.osm.pbf");
    let bytes = std::fs::read(&liechtenstein).unwrap();
    let blobs: Vec<(usize, bool)> = osmpbf::BlobReader::seekable_from_path(&liechtenstein)
        .unwrap()
        .map(|blob| {
            let blob = blob.unwrap();
            let nodes = matches!(blob.decode().unwrap(), osmpbf::BlobDecode::OsmData(block)
                if block.groups().any(|g| g.dense_nodes().len() + g.nodes().count() > 0));
            (blob.offset().unwrap().0 as usize, nodes)
        })
        .collect();
    let first = blobs.iter().position(|b| b.1).unwrap();
    assert!(blobs[first + 1].1, "two blocks of nodes");
    let end = blobs.get(first + 2).map_or(bytes.len(), |b| b.0);
    let at = [blobs[first].0, blobs[first + 1].0, end];
    let unsorted = folder.join("unsorted.osm.pbf");
    std::fs::write(&unsorted, [&bytes[..at[0]], &bytes[at[1]..at[2]], &bytes[at[0]..at[1]], &bytes[at[2]..]].concat())
        .unwrap();
    let out = run(&["import-osm", unsorted.to_str().unwrap(), "--source", "monaco"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("osmium sort"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["import-osm", monaco.to_str().unwrap(), "--memory-mib", "0"]);
    assert!(!out.status.success(), "a budget of 0 is refused");
    for file in [&truncated, &text, &nothing, &unsorted] {
        let out = run(&["import-osm", file.to_str().unwrap(), "--source", "monaco"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: {stderr}", file.display());
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert_eq!(listed(), before, "{}", file.display());
    }
    let out = run(&["network", "remove", "--source", "nowhere"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("nothing was removed"));
    assert_eq!(listed(), before);
    std::fs::remove_dir_all(&folder).ok();
    drop(dir);
}

/// `import-osm` reads an extract through external sorts in bounded memory: the tiles it
/// streams are exactly those cut from the network read whole in memory (nodes, positions,
/// edges, border links, plaza crossings), whether the sorts spill to many files (a budget of
/// 16 KiB: hundreds of sorted runs merged) or fit in memory.
#[test]
fn tiles_streamed_in_bounded_memory_equal_the_network_read_whole() {
    use api::geo::network_tiles::{TILE_DEGREES, cut};
    for name in ["monaco", "liechtenstein"] {
        let path = extract(&format!("{name}.osm.pbf"));
        let whole = read_walking_network(&path, &|_| {}).unwrap();
        let expected = cut(&whole.positions, &whole.osm_ids, &whole.edges, TILE_DEGREES, name);
        for memory in [16 * 1024, 256 << 20] {
            let read = api::osm_tiles::read_walking_tiles(&path, name, memory, &|_| {}).unwrap();
            assert_eq!((read.ways, read.missing_node_refs), (whole.ways, whole.missing_node_refs), "{name}");
            let mut keys = Vec::new();
            let streamed: HashMap<_, _> = read
                .tiles
                .map(|t| {
                    let (key, tile) = t.unwrap();
                    keys.push(key);
                    (key, tile)
                })
                .collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{name}: tiles come once each, in order");
            assert_eq!(streamed.len(), expected.len(), "{name} at {memory} bytes");
            for (key, tile) in &expected {
                assert!(streamed.get(key) == Some(tile), "{name} at {memory} bytes: tile {key:?} differs");
            }
        }
    }
}
