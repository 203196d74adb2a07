//! Life-circle norms as data: a named set of circles (minutes of travel), each listing the
//! facilities every residential area must reach within it and, optionally, the places per
//! 1,000 elderly residents that must be within reach. Planners load their local standard;
//! `normCompliance` checks areas against it.

use super::Invalid;
use super::facility::{FacilityCategory, FacilityKind};
use super::supply::Supply;
use super::travel::MAX_MINUTES;
use serde::{Deserialize, Serialize};

/// Most requirements one set may hold (each is a coverage or accessibility question).
pub const MAX_REQUIREMENTS: usize = 24;
/// Longest name and label.
const MAX_NAME_CHARS: usize = 100;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 4_000;

/// A named norm set, checked (`NormSet::check`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NormSet {
    pub name: String,
    /// Where its numbers come from.
    #[serde(default)]
    pub description: Option<String>,
    /// Nearest circle first.
    pub circles: Vec<NormCircle>,
}

/// What every area must reach within `minutes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NormCircle {
    pub minutes: f64,
    pub requirements: Vec<Requirement>,
}

/// One requirement of a circle: at least one facility of the named categories or kinds within
/// the circle's minutes, and, if `places_per_1000_elderly` is set, at least that many places
/// per 1,000 elderly residents within them (a two-step floating catchment score: each
/// facility's places shared among the elderly who reach it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirement {
    /// Names the requirement in answers; unique within the set.
    pub label: String,
    #[serde(default)]
    pub categories: Vec<FacilityCategory>,
    #[serde(default)]
    pub kinds: Vec<FacilityKind>,
    #[serde(default, rename = "placesPer1000Elderly")]
    pub places_per_1000_elderly: Option<f64>,
    /// Which number of a facility counts as its places.
    #[serde(default)]
    pub supply: Supply,
}

impl Requirement {
    /// The kinds that satisfy it: those named and those of the categories named.
    pub fn admitted_kinds(&self) -> Vec<FacilityKind> {
        FacilityKind::ALL
            .into_iter()
            .filter(|k| self.kinds.contains(k) || self.categories.contains(&k.category()))
            .collect()
    }
}

impl NormSet {
    /// The set if it follows the rules: a name, at least one circle, every circle with
    /// minutes in (0, 120] (each once) and at least one requirement, every requirement with a
    /// unique label, at least one category or kind and positive places; at most
    /// `MAX_REQUIREMENTS` requirements. Circles come back nearest first.
    pub fn check(mut self) -> Result<Self, Invalid> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME_CHARS {
            return Err(Invalid::new(format!("name must have 1 to {MAX_NAME_CHARS} characters")));
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
            return Err(Invalid::new(format!("description may have at most {MAX_DESCRIPTION_CHARS} characters")));
        }
        if self.circles.is_empty() {
            return Err(Invalid::new("circles: a norm set needs at least one circle"));
        }
        let mut labels = std::collections::HashSet::new();
        for (i, c) in self.circles.iter_mut().enumerate() {
            if !(c.minutes > 0.0 && c.minutes <= MAX_MINUTES) {
                return Err(Invalid::new(format!(
                    "circles[{i}].minutes must be in (0, {MAX_MINUTES}], got {}",
                    c.minutes
                )));
            }
            if c.requirements.is_empty() {
                return Err(Invalid::new(format!(
                    "circles[{i}] ({} minutes) has no requirements: name at least one",
                    c.minutes
                )));
            }
            for (j, r) in c.requirements.iter_mut().enumerate() {
                let at = format!("circles[{i}].requirements[{j}]");
                r.label = r.label.trim().to_owned();
                if r.label.is_empty() || r.label.chars().count() > MAX_NAME_CHARS {
                    return Err(Invalid::new(format!("{at}.label must have 1 to {MAX_NAME_CHARS} characters")));
                }
                if !labels.insert(r.label.clone()) {
                    return Err(Invalid::new(format!(
                        "{at}.label {:?} is used twice: labels name requirements",
                        r.label
                    )));
                }
                if r.categories.is_empty() && r.kinds.is_empty() {
                    return Err(Invalid::new(format!(
                        "{at} ({:?}) names no facilities: give categories or kinds",
                        r.label
                    )));
                }
                if let Some(p) = r.places_per_1000_elderly
                    && !(p.is_finite() && p > 0.0)
                {
                    return Err(Invalid::new(format!("{at}.placesPer1000Elderly must be a number above 0, got {p}")));
                }
            }
        }
        if labels.len() > MAX_REQUIREMENTS {
            return Err(Invalid::new(format!(
                "a norm set may hold at most {MAX_REQUIREMENTS} requirements, got {}",
                labels.len()
            )));
        }
        self.circles.sort_by(|a, b| a.minutes.total_cmp(&b.minutes));
        if let Some(w) = self.circles.windows(2).find(|w| w[0].minutes == w[1].minutes) {
            return Err(Invalid::new(format!(
                "two circles of {} minutes: put their requirements in one",
                w[0].minutes
            )));
        }
        Ok(self)
    }

    /// Every requirement with its circle's minutes, nearest circle first.
    pub fn requirements(&self) -> impl Iterator<Item = (f64, &Requirement)> {
        self.circles.iter().flat_map(|c| c.requirements.iter().map(move |r| (c.minutes, r)))
    }
}

/// The example set shipped with the service (`norms/example-life-circles.json`): labelled as
/// an example to be replaced by the local standard.
pub fn example() -> Result<NormSet, Invalid> {
    serde_json::from_str::<NormSet>(EXAMPLE_JSON)
        .map_err(|e| Invalid::new(format!("norms/example-life-circles.json: {e}")))?
        .check()
}

const EXAMPLE_JSON: &str = include_str!("../../../norms/example-life-circles.json");

#[cfg(test)]
mod tests {
    use super::*;

    fn requirement(label: &str) -> Requirement {
        Requirement {
            label: label.into(),
            categories: vec![FacilityCategory::Canteen],
            kinds: vec![],
            places_per_1000_elderly: None,
            supply: Supply::Capacity,
        }
    }

    fn set(circles: Vec<(f64, Vec<Requirement>)>) -> NormSet {
        NormSet {
            name: " local ".into(),
            description: None,
            circles: circles.into_iter().map(|(minutes, requirements)| NormCircle { minutes, requirements }).collect(),
        }
    }

    #[test]
    fn the_example_set_reads_and_follows_the_rules() {
        let example = example().unwrap();
        assert!(example.description.as_deref().is_some_and(|d| d.contains("example")));
        assert!(example.requirements().count() >= 4);
        assert!(example.requirements().any(|(_, r)| r.places_per_1000_elderly.is_some()));
    }

    #[test]
    fn a_set_is_sorted_and_trimmed() {
        let s = set(vec![(15.0, vec![requirement("b")]), (5.0, vec![requirement(" a ")])]).check().unwrap();
        assert_eq!(s.name, "local");
        let order: Vec<_> = s.requirements().map(|(m, r)| (m, r.label.clone())).collect();
        assert_eq!(order, [(5.0, "a".to_owned()), (15.0, "b".to_owned())]);
    }

    #[test]
    fn broken_sets_are_refused_with_the_place_named() {
        let refused = |s: NormSet| s.check().unwrap_err().0;
        assert!(refused(set(vec![])).contains("at least one circle"));
        assert!(refused(set(vec![(5.0, vec![])])).contains("circles[0] (5 minutes) has no requirements"));
        assert!(refused(set(vec![(0.0, vec![requirement("a")])])).contains("circles[0].minutes"));
        assert!(refused(set(vec![(121.0, vec![requirement("a")])])).contains("(0, 120]"));
        assert!(refused(set(vec![(5.0, vec![requirement("a")]), (10.0, vec![requirement("a")])])).contains("twice"));
        assert!(
            refused(set(vec![(5.0, vec![requirement("a")]), (5.0, vec![requirement("b")])])).contains("two circles")
        );
        let mut nothing = requirement("a");
        nothing.categories.clear();
        assert!(refused(set(vec![(5.0, vec![nothing])])).contains("names no facilities"));
        let mut negative = requirement("a");
        negative.places_per_1000_elderly = Some(-1.0);
        assert!(refused(set(vec![(5.0, vec![negative])])).contains("placesPer1000Elderly"));
        let many = (0..=MAX_REQUIREMENTS).map(|i| requirement(&i.to_string())).collect();
        assert!(refused(set(vec![(5.0, many)])).contains("at most"));
        let mut unnamed = set(vec![(5.0, vec![requirement("a")])]);
        unnamed.name = "  ".into();
        assert!(refused(unnamed).contains("name"));
    }

    #[test]
    fn categories_and_kinds_add_up() {
        let mut r = requirement("a");
        r.kinds = vec![FacilityKind::NursingHome];
        let kinds = r.admitted_kinds();
        assert!(kinds.contains(&FacilityKind::MealPoint) && kinds.contains(&FacilityKind::NursingHome));
        assert!(!kinds.contains(&FacilityKind::DayCareCenter));
    }
}
