"""Schemathesis hooks for tests/faults/fuzz.sh: values for the schema's custom scalars, so the
operations that take them are fuzzed too (valid and broken GeoJSON, dates in and out of range)."""

import graphql
import schemathesis
from hypothesis import strategies as st

GEOJSON = [
    '{type: "Polygon", coordinates: [[[106.2, 38.4], [106.4, 38.4], [106.4, 38.6], [106.2, 38.4]]]}',
    '{type: "MultiPolygon", coordinates: [[[[106.2, 38.4], [106.4, 38.4], [106.3, 38.6], [106.2, 38.4]]]]}',
    '{type: "FeatureCollection", features: []}',
    '{type: "FeatureCollection", features: [{type: "Feature", geometry: {type: "Point", coordinates: [106.3, 38.5]},'
    ' properties: {name: "x", kind: "MEAL_POINT", population: 10, elderlyPopulation: 2}}]}',
    '{type: "FeatureCollection", features: [{type: "Feature", geometry: {type: "Point", coordinates: [999, -999]},'
    ' properties: {}}]}',
    '{type: "Polygon", coordinates: []}',
    '{type: "Polygon", coordinates: [[[1e308, 1e308], [-1e308, 0], [0, 0]]]}',
    '{type: "Point"}',
    '{type: "Feature", geometry: null}',
    '{coordinates: "nope"}',
]

schemathesis.graphql.scalar("GeoJSON", st.sampled_from(GEOJSON).map(graphql.parse_value))
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes().map(lambda d: graphql.StringValueNode(value=d.isoformat() + "Z")),
        st.text(max_size=30).map(lambda s: graphql.StringValueNode(value=s)),
    ),
)
schemathesis.graphql.scalar(
    "NaiveDate",
    st.one_of(
        st.dates().map(lambda d: graphql.StringValueNode(value=d.isoformat())),
        st.text(max_size=12).map(lambda s: graphql.StringValueNode(value=s)),
    ),
)
