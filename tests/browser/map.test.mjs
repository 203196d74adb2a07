// End-to-end test of the map page in headless Chromium. Every expected number is asked of the
// API by the test itself, so the page is checked against the server, not against constants.
//
//   SERVER_URL=http://127.0.0.1:8080 node --test tests/browser/map.test.mjs
//
// Env: CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default target/browser),
// EXPECT_TILE_CRS (fail unless /map-config.json names this tile CRS; run.sh's GCJ-02 pass).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// playwright-core is a devDependency of the page, so it lives in web/node_modules.
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const SERVER_URL = (process.env.SERVER_URL ?? '').replace(/\/$/, '');
if (!SERVER_URL) throw new Error('set SERVER_URL to the running server, e.g. http://127.0.0.1:8080');
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || 'target/browser';
const CATEGORIES = ['CANTEEN', 'ELDER_CARE', 'REST_STATION'];
const TIMEOUT = 60_000;

async function api(query, variables = {}) {
  const response = await fetch(`${SERVER_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, `API error for ${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

let browser, page, config;
const problems = []; // console errors, page errors, failed requests
const graphqlRequests = [];

before(async () => {
  config = await fetch(`${SERVER_URL}/map-config.json`).then((r) => r.json());
  if (process.env.EXPECT_TILE_CRS) assert.equal(config.tileCrs, process.env.EXPECT_TILE_CRS);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // The machine has no network: keep Chromium from phoning home and logging refusals.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(TIMEOUT);
  // Tiles from an unreachable --tile-url are expected to fail; nothing else may.
  const isTile = (url) => config.tileUrl && url.startsWith(new URL(config.tileUrl.split('{')[0]).origin);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !isTile(msg.location().url)) problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (!isTile(request.url())) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on('request', (request) => {
    if (request.url().endsWith('/graphql') && request.method() === 'POST') graphqlRequests.push(request.postDataJSON());
  });
  await page.goto(SERVER_URL);
  await page.waitForSelector('body[data-ready="facilities"]');
});

after(async () => {
  await browser?.close();
});

test('draws one marker per facility, per category as the API counts them', async () => {
  const { facilities } = await api('{ facilities { totalCount } }');
  assert.ok(facilities.totalCount > 100, 'the demo data should need more than one page');
  assert.equal(await page.locator('.facility-marker').count(), facilities.totalCount);
  assert.equal(await page.textContent('#facility-count'), String(facilities.totalCount));
  for (const category of CATEGORIES) {
    const data = await api('query($c: FacilityCategory!) { facilities(filter: {categories: [$c]}) { totalCount } }', { c: category });
    assert.equal(await page.locator(`.facility-${category}`).count(), data.facilities.totalCount, category);
    assert.equal(await page.textContent(`#legend li[data-category="${category}"] .count`), String(data.facilities.totalCount));
  }
});

test('asks the API for geometry in the tiles\' coordinate system and places markers there', async () => {
  const crs = config.tileCrs;
  assert.ok(graphqlRequests.length > 1, 'facilities are paged');
  for (const request of graphqlRequests) assert.equal(request.variables.crs, crs, request.query);

  const marker = await page.evaluate(() => {
    let first = null;
    window.serviceCircleMap.eachLayer((layer) => {
      if (!first && layer.options.facilityId) first = layer;
    });
    const box = first.getElement().getBoundingClientRect();
    const map = window.serviceCircleMap;
    const mapBox = map.getContainer().getBoundingClientRect();
    return {
      id: first.options.facilityId,
      latLng: first.getLatLng(),
      center: { x: box.x + box.width / 2 - mapBox.x, y: box.y + box.height / 2 - mapBox.y },
    };
  });
  const { facility } = await api(`query($id: ID!, $crs: Crs!) {
    facility(id: $id) { location(crs: $crs) { lon lat } wgs84: location { lon lat } }
  }`, { id: marker.id, crs });
  assert.equal(marker.latLng.lat, facility.location.lat);
  assert.equal(marker.latLng.lng, facility.location.lon);

  // The marker is drawn where the map projects the API's point, not the WGS-84 one.
  const [expected, wgs84] = await page.evaluate(([a, b]) => [a, b].map((p) =>
    window.serviceCircleMap.latLngToContainerPoint([p.lat, p.lon])), [facility.location, facility.wgs84]);
  assert.ok(Math.hypot(marker.center.x - expected.x, marker.center.y - expected.y) < 1.5,
    `marker at ${JSON.stringify(marker.center)}, ${crs} point at ${JSON.stringify(expected)}`);
  if (crs === 'GCJ02') {
    assert.ok(Math.hypot(marker.center.x - wgs84.x, marker.center.y - wgs84.y) > 2, 'GCJ-02 shift is visible');
  }
});

test('clicking a facility shows its details and its service circle', async () => {
  // A marker whose centre is not covered by a neighbour, so a real click lands on it.
  const target = await page.evaluate(() => {
    for (const el of document.querySelectorAll('.facility-marker')) {
      const box = el.getBoundingClientRect();
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      if (x > 340 && y > 20 && x < innerWidth - 20 && y < innerHeight - 40 && document.elementFromPoint(x, y) === el) {
        return { id: el.dataset.facilityId, x, y };
      }
    }
    return null;
  });
  assert.ok(target, 'some facility marker is clickable');
  const { facility } = await api(`query($id: ID!) { facility(id: $id) { name category
    canteen { seats } elderCare { beds dayCarePlaces } restStation { open24Hours amenities } } }`, { id: target.id });

  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((name) => document.querySelector('#details-name')?.textContent === name, facility.name);
  assert.ok(await page.isVisible('#details'));
  // The details of its category, as the API gives them.
  const rows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#details-fields dt')]
    .map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  const shown = (v) => (v === null ? '—' : String(v));
  if (facility.category === 'ELDER_CARE') {
    assert.equal(rows['Beds'], shown(facility.elderCare.beds));
    assert.equal(rows['Day-care places'], shown(facility.elderCare.dayCarePlaces));
  } else if (facility.category === 'CANTEEN') {
    assert.equal(rows['Seats'], shown(facility.canteen.seats));
    assert.ok('Prices by age' in rows);
  } else {
    assert.equal(rows['Open 24 hours'], facility.restStation.open24Hours ? 'yes' : 'no');
    assert.equal(rows['Amenities'].split(', ').length, facility.restStation.amenities.length || 1);
  }
  await page.waitForSelector('path.service-circle');
  assert.equal(await page.locator('.service-circle').count(), 1);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `details${suffix()}.png`) });
});

test('facilities written through the API appear, move and disappear live', async () => {
  const token = process.env.EDITOR_TOKEN;
  assert.ok(token, 'run.sh passes an editor token in EDITOR_TOKEN');
  await page.waitForSelector('body[data-live="yes"]');
  const write = async (query, variables) => {
    const response = await fetch(`${SERVER_URL}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data;
  };
  const count = () => page.locator('.facility-marker').count();
  const before = await count();
  const center = await page.evaluate(() => window.serviceCircleMap.getCenter());
  const { createFacility } = await write(`mutation($lon: Float!, $lat: Float!) {
    createFacility(input: { kind: OUTDOOR_WORKER_STATION, name: "live test", location: { lon: $lon, lat: $lat, crs: ${config.tileCrs} } }) { id }
  }`, { lon: center.lng, lat: center.lat });
  const marker = `.facility-marker[data-facility-id="${createFacility.id}"]`;
  await page.waitForSelector(marker);
  assert.equal(await count(), before + 1);
  assert.equal(await page.textContent('#facility-count'), String(before + 1));

  await write('mutation($id: ID!) { updateFacility(id: $id, version: 1, input: { kind: COMMUNITY_CANTEEN }) { version } }',
    { id: createFacility.id });
  await page.waitForSelector(`${marker}.facility-CANTEEN`);
  assert.equal(await count(), before + 1, 'an update redraws, it does not add');

  await write('mutation($id: ID!) { deleteFacility(id: $id, version: 2) }', { id: createFacility.id });
  await page.waitForSelector(marker, { state: 'detached' });
  assert.equal(await count(), before);
});

test('the coverage view shows the API\'s coverage of the service picked', async () => {
  await page.click('#view-coverage');
  // Elder care by default (the figure planners quote), then canteens, then any service.
  for (const category of ['ELDER_CARE', 'CANTEEN', '']) {
    const filter = category ? `{categories: [${category}]}` : '{}';
    const { coverage, coverageGaps } = await api(`{
      coverage(input: {minutes: 15, filter: ${filter}}) { elderlyCoverageRatio residentialAreas }
      coverageGaps(input: {minutes: 15, filter: ${filter}}) { elderlyPopulation }
    }`);
    if (category !== 'ELDER_CARE') {
      await page.selectOption('#category', category);
    }
    await page.waitForSelector('body[data-ready="coverage"]');
    const ratio = page.locator('#coverage-ratio');
    await page.waitForFunction(
      (want) => Math.abs(Number(document.querySelector('#coverage-ratio')?.dataset.ratio) - want) < 1e-9,
      coverage.elderlyCoverageRatio,
    );
    assert.equal(await ratio.textContent(), `${(coverage.elderlyCoverageRatio * 100).toFixed(1)}%`);
    const covered = await page.locator('.area-covered').count();
    const uncovered = await page.locator('.area-uncovered').count();
    assert.equal(covered + uncovered, coverage.residentialAreas);
    assert.ok(covered > 0 && uncovered > 0, `${category}: ${covered} covered, ${uncovered} uncovered`);
    assert.equal(await page.locator('.coverage-gap').count(), coverageGaps.length);
    if (category === 'ELDER_CARE') {
      assert.equal(await page.textContent('#coverage-category'), 'elder care');
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `map${suffix()}.png`) });
    }
  }
  await page.selectOption('#category', 'ELDER_CARE');
  await page.waitForSelector('body[data-ready="coverage"]');
});

test('the heatmap view draws the API\'s travel-time grid, counted in its legend', async () => {
  const { travelTimeGrid } = await api(`{
    travelTimeGrid(filter: {categories: [ELDER_CARE]}, resolution: 8, maxMinutes: 30) { cellCount features }
  }`);
  await page.click('#view-heatmap');
  await page.waitForSelector('body[data-ready="heatmap"]');
  assert.equal(await page.locator('.heat-cell').count(), travelTimeGrid.cellCount);
  // The legend's classes: 5, 10, 15 and 30 minutes, beyond, off the network.
  const expected = {};
  for (const { properties: p } of travelTimeGrid.features.features) {
    const key = p.reach === 'OFF_NETWORK' ? 'off' : p.minutes === null ? 'beyond'
      : String([5, 10, 15, 30].find((m) => p.minutes <= m) ?? 'beyond');
    expected[key] = (expected[key] ?? 0) + 1;
  }
  for (const key of ['5', '10', '15', '30', 'beyond', 'off']) {
    const shown = await page.textContent(`#heatmap-legend li[data-heat="${key}"] .count`);
    assert.equal(shown, (expected[key] ?? 0).toLocaleString('en'), key);
    assert.equal(await page.locator(`.heat-${key}`).count(), expected[key] ?? 0, key);
  }
  assert.ok(Object.keys(expected).length >= 3, JSON.stringify(expected));
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `heatmap${suffix()}.png`) });
});

test('the norms view shows compliance by requirement and the worst communities', async () => {
  const { normSets } = await api('{ normSets { name } }');
  const { normCompliance: c } = await api(`query($s: String!) { normCompliance(normSet: $s) {
    residentialAreas shareOfElderlyMeetingAll requirements { label shareOfElderlyMeeting }
    communities { communityCode shareOfElderlyMeetingAll } } }`, { s: normSets[0].name });
  await page.click('#view-norms');
  await page.waitForSelector('body[data-ready="norms"]');
  assert.equal(await page.textContent('#norm-set-name'), normSets[0].name);
  const ratio = Number(await page.getAttribute('#norms-ratio', 'data-ratio'));
  assert.ok(Math.abs(ratio - c.shareOfElderlyMeetingAll) < 1e-9);
  const pct = (r) => `${(r * 100).toFixed(1)}%`;
  const cells = (table) => page.$$eval(`${table} tbody tr`, (rows) => rows.map((r) => [...r.cells].map((td) => td.textContent)));
  const requirements = await cells('#norm-requirements');
  assert.deepEqual(requirements.map((r) => [r[1], r[2]]), c.requirements.map((r) => [r.label, pct(r.shareOfElderlyMeeting)]));
  const communities = await cells('#norm-communities');
  assert.deepEqual(communities.map((r) => [r[0], r[2]]),
    c.communities.slice(0, 10).map((x) => [x.communityCode ?? 'no code', pct(x.shareOfElderlyMeetingAll)]));
  const areas = await page.locator('.area-meets').count() + await page.locator('.area-misses').count();
  assert.equal(areas, c.residentialAreas);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `norms${suffix()}.png`) });
});

test('the base layer draws the server\'s network tiles (WGS-84 maps only)', async () => {
  const hasLayer = await page.evaluate(() => Boolean(window.serviceCircleNetwork));
  if (config.tileCrs !== 'WGS84') {
    assert.equal(hasLayer, false, 'no WGS-84 streets over GCJ-02 tiles');
    return;
  }
  assert.ok(hasLayer);
  await page.evaluate(() => window.serviceCircleMap.setView([38.47, 106.28], 15, { animate: false }));
  await page.waitForFunction(() => document.querySelectorAll('.network-tiles svg path').length > 0, null, { timeout: TIMEOUT });
  await page.waitForTimeout(500);
  // Each drawn tile: as many lines in its path as the tile the server sends has, decoded here.
  const drawn = await page.evaluate(() => Object.values(window.serviceCircleNetwork._tiles)
    .filter((t) => t.loaded && t.el.querySelector('path'))
    .map((t) => ({ z: t.coords.z, x: t.coords.x, y: t.coords.y,
      moves: [...t.el.querySelectorAll('path')].reduce((n, p) => n + (p.getAttribute('d').match(/M/g) ?? []).length, 0) })));
  assert.ok(drawn.length > 0);
  const { VectorTile } = require('vector-tile');
  const Protobuf = require('pbf');
  for (const t of drawn) {
    const bytes = await fetch(`${SERVER_URL}/tiles/network/${t.z}/${t.x}/${t.y}.mvt`).then((r) => r.arrayBuffer());
    const layer = new VectorTile(new Protobuf(new Uint8Array(bytes))).layers.network;
    let lines = 0;
    for (let i = 0; i < layer.length; i++) lines += layer.feature(i).loadGeometry().length;
    assert.equal(t.moves, lines, `tile ${t.z}/${t.x}/${t.y}`);
  }
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `network${suffix()}.png`) });
});

test('a scale bar shows metres or kilometres', async () => {
  const scale = await page.textContent('.leaflet-control-scale-line');
  assert.match(scale.trim(), /^\d+ (m|km)$/);
});

test('suggesting 3 sites draws the sites the API suggests', async () => {
  const { suggestSites } = await api(`{
    suggestSites(input: {coverage: {minutes: 15, filter: {categories: [ELDER_CARE]}}, count: 3}) { sites { newlyCoveredElderly } }
  }`);
  await page.fill('#suggest-count', '3');
  await page.click('#suggest-button');
  await page.waitForSelector('body[data-suggested]');
  assert.equal(await page.locator('.suggested-site').count(), suggestSites.sites.length);
  assert.ok(suggestSites.sites.length > 0, 'the demo data leaves room for new sites');
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `suggest${suffix()}.png`) });
});

test('no console errors, page errors or failed requests; every geometry in the tiles\' CRS', () => {
  assert.deepEqual(problems, []);
  const queries = graphqlRequests.map((r) => r.query.split('(')[0]);
  for (const name of ['query Facilities', 'query Facility', 'query Coverage', 'query Heatmap', 'query Compliance', 'query Suggest']) {
    assert.ok(queries.includes(name), `the page sent ${name}`);
  }
  // Every query that draws geometry asks for it in the tiles' system.
  for (const request of graphqlRequests.filter((r) => r.query.includes('geometry') || r.query.includes('$crs'))) {
    assert.equal(request.variables?.crs, config.tileCrs, request.query);
  }
  assert.ok(graphqlRequests.filter((r) => r.query.includes('$crs')).length >= 5);
});

function suffix() {
  return config.tileCrs === 'WGS84' ? '' : `-${config.tileCrs.toLowerCase()}`;
}
