// Null propagation (issue 12, item 13) checked against graphql-js, the reference
// implementation: for each document with failing fields, our server's answer must equal what
// graphql-js makes of the same failures on the same schema. graphql-js gets the values of every
// field from our answer to the same document without the failing fields, and throws exactly at
// the paths where our server reported errors; the nulls that follow are its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { buildSchema, graphql } = require('graphql');

const server = process.env.SERVER_URL;
const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

async function post(query) {
  const response = await fetch(`${server}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  assert.equal(response.status, 200);
  return response.json();
}

/** graphql-js on `query`, with field values from `values` and errors thrown at `failing`. */
async function reference(query, values, failing) {
  const failAt = new Set(failing.map((p) => p.join('.')));
  const fieldResolver = (source, _args, _context, info) => {
    const path = [];
    for (let p = info.path; p; p = p.prev) path.unshift(p.key);
    if (failAt.has(path.join('.'))) throw new Error('failed as the server failed');
    return source == null ? null : source[info.path.key];
  };
  return graphql({ schema, source: query, rootValue: values, fieldResolver });
}

async function compare(query, withoutFailing) {
  const ours = await post(query);
  const values = await post(withoutFailing);
  assert.equal(values.errors, undefined, JSON.stringify(values.errors));
  const failing = (ours.errors ?? []).filter((e) => e.path).map((e) => e.path);
  assert.ok(failing.length > 0, `the document must fail somewhere: ${JSON.stringify(ours)}`);
  const expected = await reference(query, values.data, failing);
  // Same values, and the same keys in the same order (JSON text compares both).
  assert.equal(JSON.stringify(ours.data ?? null), JSON.stringify(expected.data ?? null), query);
  // graphql-js stops a list at its first failed non-null item; a server may go on and report
  // the others too (the specification allows either), so ours must include its errors.
  const paths = (r) => (r.errors ?? []).filter((e) => e.path).map((e) => e.path.join('.'));
  for (const path of paths(expected)) assert.ok(paths(ours).includes(path), path);
}

const near = '{ lon: 106.28, lat: 38.47 }';

test('a nullable field that fails is null beside its siblings', async () => {
  await compare(
    `{ nearbyFacilities(near: ${near}, limit: 3) { distanceMeters facility { name createdBy } } }`,
    `{ nearbyFacilities(near: ${near}, limit: 3) { distanceMeters facility { name } } }`,
  );
  await compare('{ holidayCalendar(year: 2025) { year loadedBy } }', '{ holidayCalendar(year: 2025) { year } }');
});

test('a non-null field that fails nulls its nearest nullable parent', async () => {
  const first = await post('{ facilities(first: 1) { edges { node { id } } } }');
  const id = first.data.facilities.edges[0].node.id;
  await compare(
    `{ facility(id: "${id}") { name serviceCircle(minutes: 0) } n: nearbyFacilities(near: ${near}, limit: 1) { distanceMeters } }`,
    `{ facility(id: "${id}") { name } n: nearbyFacilities(near: ${near}, limit: 1) { distanceMeters } }`,
  );
});

test('failures under non-null lists and objects reach data itself', async () => {
  await compare(
    '{ facilities(first: 3) { edges { node { name serviceCircle(minutes: 0) } } } }',
    '{ facilities(first: 3) { edges { node { name } } } }',
  );
  await compare(
    '{ coverage(input: {}) { population byCommunity(codeLength: 0) { communityCode } } }',
    '{ coverage(input: {}) { population } }',
  );
});
