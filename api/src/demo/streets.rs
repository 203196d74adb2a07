//! The demo district's walking network: synthetic, deterministic, shaped like the demo's
//! urban form. The city (west of `CITY_EDGE_LON`) is a grid of streets about 200 m apart with
//! an arterial every kilometre; some block streets are missing (gated compounds), and corners
//! are moved by up to 25 m so no two blocks are alike. The countryside is a grid of lanes
//! about 800 m apart (the irrigated plain's farm roads), joined to the city's last street.
//! It is stored through the same path as an OpenStreetMap import, under its own source.

use super::{CITY_EDGE_LON, EAST, NORTH, SEED, SOUTH, WEST};
use crate::geo::LonLat;
use rand::{Rng, SeedableRng, rngs::StdRng};

/// The source name the network is stored under (`network list` shows it).
pub const SOURCE: &str = "demo-synthetic";

const M_PER_DEG_LAT: f64 = 110_990.0;
const CITY_BLOCK_M: f64 = 200.0;
/// Every fifth city street is an arterial, never missing.
const ARTERIAL_EVERY: usize = 5;
const MISSING_SHARE: f64 = 0.1;
const JITTER_M: f64 = 25.0;
const LANE_SPACING_M: f64 = 800.0;

/// Nodes, their (negative, synthetic) ids and the edges between them.
pub struct Streets {
    pub positions: Vec<LonLat>,
    pub ids: Vec<i64>,
    pub edges: Vec<(u32, u32)>,
}

struct Grid {
    /// Node index of each (column, row).
    nodes: Vec<Vec<u32>>,
}

impl Streets {
    fn node(&mut self, p: LonLat) -> u32 {
        let index = self.positions.len() as u32;
        self.positions.push(p);
        self.ids.push(-(i64::from(index) + 1));
        index
    }

    /// A grid of streets `spacing_m` apart over the rectangle, corners moved by up to
    /// `jitter_m`; a street between two corners is missing with `missing` probability unless
    /// it lies on an arterial line.
    #[allow(clippy::too_many_arguments)]
    fn grid(
        &mut self,
        rng: &mut StdRng,
        (west, east, south, north): (f64, f64, f64, f64),
        spacing_m: f64,
        jitter_m: f64,
        missing: f64,
    ) -> Grid {
        let m_per_deg_lon = M_PER_DEG_LAT * ((south + north) / 2.0).to_radians().cos();
        let columns = ((east - west) * m_per_deg_lon / spacing_m).floor() as usize + 1;
        let rows = ((north - south) * M_PER_DEG_LAT / spacing_m).floor() as usize + 1;
        let mut nodes = Vec::with_capacity(columns);
        for c in 0..columns {
            let mut column = Vec::with_capacity(rows);
            for r in 0..rows {
                let dx = rng.random_range(-jitter_m..=jitter_m);
                let dy = rng.random_range(-jitter_m..=jitter_m);
                let lon = (west + (c as f64 * spacing_m + dx) / m_per_deg_lon).clamp(west, east);
                let lat = (south + (r as f64 * spacing_m + dy) / M_PER_DEG_LAT).clamp(south, north);
                column.push(self.node(LonLat { lon, lat }));
            }
            nodes.push(column);
        }
        for c in 0..columns {
            for r in 0..rows {
                let here = nodes[c][r];
                // East along row r, north along column c.
                if c + 1 < columns && (r % ARTERIAL_EVERY == 0 || !rng.random_bool(missing)) {
                    self.edges.push((here, nodes[c + 1][r]));
                }
                if r + 1 < rows && (c % ARTERIAL_EVERY == 0 || !rng.random_bool(missing)) {
                    self.edges.push((here, nodes[c][r + 1]));
                }
            }
        }
        Grid { nodes }
    }
}

/// The demo district's streets.
pub fn streets() -> Streets {
    let mut rng = StdRng::seed_from_u64(SEED + 1);
    let mut s = Streets { positions: Vec::new(), ids: Vec::new(), edges: Vec::new() };
    let city = s.grid(&mut rng, (WEST, CITY_EDGE_LON, SOUTH, NORTH), CITY_BLOCK_M, JITTER_M, MISSING_SHARE);
    let country = s.grid(&mut rng, (CITY_EDGE_LON, EAST, SOUTH, NORTH), LANE_SPACING_M, 0.0, 0.0);
    // Each lane leaving the city joins the nearest corner of the city's last street.
    let last = city.nodes.last().map(Vec::as_slice).unwrap_or_default();
    for &lane in country.nodes.first().map(Vec::as_slice).unwrap_or_default() {
        let lat = s.positions[lane as usize].lat;
        if let Some(&corner) = last.iter().min_by(|&&a, &&b| {
            (s.positions[a as usize].lat - lat).abs().total_cmp(&(s.positions[b as usize].lat - lat).abs())
        }) {
            s.edges.push((corner, lane));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::distance::geodesic_distance_m;

    #[test]
    fn the_streets_are_the_same_every_time_and_stay_in_the_district() {
        let a = streets();
        let b = streets();
        assert_eq!(a.positions, b.positions);
        assert_eq!(a.edges, b.edges);
        assert!(a.positions.iter().all(|p| (WEST..=EAST).contains(&p.lon) && (SOUTH..=NORTH).contains(&p.lat)));
        assert!(a.ids.iter().all(|&id| id < 0), "synthetic ids are negative");
        // Some 8,000 city corners and 800 country ones; about two streets per corner.
        assert!((8_000..12_000).contains(&a.positions.len()), "{}", a.positions.len());
        assert!(a.edges.len() > a.positions.len() * 17 / 10, "{}", a.edges.len());
    }

    #[test]
    fn city_blocks_are_short_and_country_lanes_long() {
        let s = streets();
        let lengths = |city: bool| -> Vec<f64> {
            s.edges
                .iter()
                .filter(|(a, _)| (s.positions[*a as usize].lon < CITY_EDGE_LON - 0.001) == city)
                .map(|&(a, b)| geodesic_distance_m(s.positions[a as usize], s.positions[b as usize]))
                .collect()
        };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (city, country) = (lengths(true), lengths(false));
        assert!((180.0..220.0).contains(&mean(&city)), "{}", mean(&city));
        assert!((700.0..900.0).contains(&mean(&country)), "{}", mean(&country));
    }
}
