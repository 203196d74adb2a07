//! Web map tiles: the Web Mercator tile grid (XYZ, as OpenStreetMap, MapLibre and Leaflet use
//! it) and Mapbox Vector Tile 2.1 encoding of point layers (the `mvt` crate).

use super::LonLat;
use super::bounds::Bounds;
use mvt::{GeomEncoder, GeomType, Tile};
use std::f64::consts::PI;

/// Tile coordinates per tile side, as the specification recommends.
pub const EXTENT: u32 = 4096;
/// The latitude where Web Mercator's square world ends.
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A tile of the XYZ grid (y counted from the north).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// The tile if its zoom is within `zooms` and x and y lie on its grid.
    pub fn new(z: u32, x: u32, y: u32, zooms: std::ops::RangeInclusive<u8>) -> Option<Self> {
        let z = u8::try_from(z).ok().filter(|z| zooms.contains(z) && *z <= 30)?;
        let side = 1u64 << z;
        (u64::from(x) < side && u64::from(y) < side).then_some(Self { z, x, y })
    }

    fn side(self) -> f64 {
        f64::from(1u32 << self.z.min(31))
    }

    /// The tile's corners in longitude/latitude (edges included).
    pub fn bounds(self) -> Bounds {
        let n = self.side();
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        Bounds {
            sw: LonLat { lon: lon(f64::from(self.x)), lat: lat(f64::from(self.y) + 1.0) },
            ne: LonLat { lon: lon(f64::from(self.x) + 1.0), lat: lat(f64::from(self.y)) },
        }
    }

    /// Where `p` falls in the tile's coordinates (0 to `EXTENT` across, y down); outside the
    /// tile beyond that range.
    pub fn position(self, p: LonLat) -> (f64, f64) {
        let n = self.side();
        let lat = p.lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
        let x = (p.lon + 180.0) / 360.0 * n;
        let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n;
        let extent = f64::from(EXTENT);
        ((x - f64::from(self.x)) * extent, (y - f64::from(self.y)) * extent)
    }
}

/// A value of a feature's property.
#[derive(Clone, Debug, PartialEq)]
pub enum Tag<'a> {
    Text(&'a str),
    Uint(u64),
    Double(f64),
    Bool(bool),
}

impl Tag<'_> {
    fn add_to(&self, key: &str, feature: &mut mvt::Feature) {
        match self {
            Tag::Text(s) => feature.add_tag_string(key, s),
            Tag::Uint(n) => feature.add_tag_uint(key, *n),
            Tag::Double(d) => feature.add_tag_double(key, *d),
            Tag::Bool(b) => feature.add_tag_bool(key, *b),
        }
    }
}

/// One point feature of a layer.
pub struct PointFeature<'a> {
    pub id: u64,
    pub at: LonLat,
    pub tags: Vec<(&'a str, Tag<'a>)>,
}

/// A tile with one layer of the `points` that fall in it (those on its east or south edge
/// belong to the neighbour, so each point is in exactly one tile of a zoom); empty (no bytes)
/// when none does.
pub fn point_tile<'a>(
    tile: TileId,
    layer: &str,
    points: impl IntoIterator<Item = PointFeature<'a>>,
) -> Result<Vec<u8>, mvt::Error> {
    let out = Tile::new(EXTENT);
    let mut features = out.create_layer(layer);
    let extent = f64::from(EXTENT);
    for point in points {
        let (x, y) = tile.position(point.at);
        if !(0.0..extent).contains(&x) || !(0.0..extent).contains(&y) {
            continue;
        }
        let geometry = GeomEncoder::new(GeomType::Point).point(x.floor(), y.floor())?.encode()?;
        features = with_feature(features, geometry, point.id, &point.tags);
    }
    finish(out, features)
}

/// `layer` with one more feature.
fn with_feature(layer: mvt::Layer, geometry: mvt::GeomData, id: u64, tags: &[(&str, Tag<'_>)]) -> mvt::Layer {
    let mut feature = layer.into_feature(geometry);
    feature.set_id(id);
    for (key, value) in tags {
        value.add_to(key, &mut feature);
    }
    feature.into_layer()
}

/// The tile's bytes with `layer`; none when the layer has no feature.
fn finish(mut tile: Tile, layer: mvt::Layer) -> Result<Vec<u8>, mvt::Error> {
    if layer.num_features() == 0 {
        return Ok(Vec::new());
    }
    tile.add_layer(layer)?;
    tile.to_bytes()
}

/// One polygon feature of a layer: its outer ring (closed or not), WGS-84.
pub struct PolygonFeature<'a> {
    pub id: u64,
    pub ring: Vec<LonLat>,
    pub tags: Vec<(&'a str, Tag<'a>)>,
}

/// A tile with one layer of the `polygons` (those that touch the tile; their corners beyond it
/// are kept, renderers clip); empty when there are none. Rings are wound as the specification
/// wants exterior rings: positive area in tile coordinates (y down).
pub fn polygon_tile<'a>(
    tile: TileId,
    layer: &str,
    polygons: impl IntoIterator<Item = PolygonFeature<'a>>,
) -> Result<Vec<u8>, mvt::Error> {
    let out = Tile::new(EXTENT);
    let mut features = out.create_layer(layer);
    for polygon in polygons {
        let mut ring: Vec<(f64, f64)> = polygon.ring.iter().map(|&p| tile.position(p)).collect();
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        let twice_area: f64 = (0..ring.len())
            .map(|i| {
                let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum();
        if twice_area.abs() < 1.0 {
            continue; // smaller than a tile unit
        }
        if twice_area < 0.0 {
            ring.reverse();
        }
        let mut geometry = GeomEncoder::new(GeomType::Polygon);
        for &(x, y) in &ring {
            geometry.add_point(x, y)?;
        }
        features = with_feature(features, geometry.encode()?, polygon.id, &polygon.tags);
    }
    finish(out, features)
}

/// A tile with one layer holding one MultiLineString feature of the `segments` (those that
/// cross the tile; the caller may pass more). Ends outside the tile are kept as they are (MVT
/// coordinates may lie beyond the extent; renderers clip), so a street leaving the tile keeps
/// its direction. Empty when no segment crosses it.
pub fn line_tile(
    tile: TileId,
    layer: &str,
    segments: impl IntoIterator<Item = (LonLat, LonLat)>,
) -> Result<Vec<u8>, mvt::Error> {
    let bounds = tile.bounds();
    let mut geometry = GeomEncoder::new(GeomType::Linestring);
    let mut lines = 0;
    for (a, b) in segments {
        let crosses = a.lon.min(b.lon) <= bounds.ne.lon
            && a.lon.max(b.lon) >= bounds.sw.lon
            && a.lat.min(b.lat) <= bounds.ne.lat
            && a.lat.max(b.lat) >= bounds.sw.lat;
        if !crosses {
            continue;
        }
        let ((ax, ay), (bx, by)) = (tile.position(a), tile.position(b));
        if ax.round() == bx.round() && ay.round() == by.round() {
            continue; // shorter than a tile unit: nothing to draw
        }
        geometry.add_point(ax, ay)?;
        geometry.add_point(bx, by)?;
        geometry.complete_geom()?;
        lines += 1;
    }
    if lines == 0 {
        return Ok(Vec::new());
    }
    let out = Tile::new(EXTENT);
    let layer = out.create_layer(layer).into_feature(geometry.encode()?).into_layer();
    finish(out, layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_have_the_bounds_of_the_xyz_grid() {
        // Zoom 0 is the whole Mercator world.
        let world = TileId::new(0, 0, 0, 0..=20).unwrap().bounds();
        assert!((world.sw.lon + 180.0).abs() < 1e-12 && (world.ne.lon - 180.0).abs() < 1e-12);
        assert!((world.ne.lat - MAX_LAT).abs() < 1e-9 && (world.sw.lat + MAX_LAT).abs() < 1e-9);
        // Yinchuan's old town at zoom 12: the tile the forward formula names holds the point
        // by the inverse formula's bounds.
        let p = LonLat { lon: 106.28, lat: 38.47 };
        let n = 4096.0_f64;
        let x = ((p.lon + 180.0) / 360.0 * n).floor() as u32;
        let lat = p.lat.to_radians();
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n).floor() as u32;
        assert_eq!((x, y), (3257, 1573));
        let tile = TileId::new(12, x, y, 0..=20).unwrap();
        let b = tile.bounds();
        assert!(b.sw.lon <= p.lon && p.lon < b.ne.lon && b.sw.lat < p.lat && p.lat <= b.ne.lat);
        let (px, py) = tile.position(p);
        assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py), "{px} {py}");
        // The corners map to the tile's corners.
        let (x0, y0) = tile.position(LonLat { lon: b.sw.lon, lat: b.ne.lat });
        assert!(x0.abs() < 1e-6 && y0.abs() < 1e-6, "{x0} {y0}");
        let (x1, y1) = tile.position(LonLat { lon: b.ne.lon, lat: b.sw.lat });
        assert!((x1 - 4096.0).abs() < 1e-6 && (y1 - 4096.0).abs() < 1e-6, "{x1} {y1}");
    }

    #[test]
    fn coordinates_off_the_grid_and_zooms_out_of_range_are_no_tile() {
        assert!(TileId::new(3, 8, 0, 0..=20).is_none());
        assert!(TileId::new(3, 0, 8, 0..=20).is_none());
        assert!(TileId::new(21, 0, 0, 0..=20).is_none());
        assert!(TileId::new(5, 0, 0, 8..=20).is_none());
        assert!(TileId::new(u32::MAX, 0, 0, 0..=255).is_none());
        assert!(TileId::new(3, 7, 7, 0..=20).is_some());
    }

    #[test]
    fn a_point_on_an_edge_belongs_to_one_tile() {
        let tile = TileId::new(10, 500, 400, 0..=20).unwrap();
        let b = tile.bounds();
        let on_east_edge =
            PointFeature { id: 1, at: LonLat { lon: b.ne.lon, lat: (b.sw.lat + b.ne.lat) / 2.0 }, tags: vec![] };
        assert!(point_tile(tile, "l", [on_east_edge]).unwrap().is_empty());
        let inside = PointFeature { id: 2, at: b.center(), tags: vec![("name", Tag::Text("x"))] };
        assert!(!point_tile(tile, "l", [inside]).unwrap().is_empty());
    }
}
