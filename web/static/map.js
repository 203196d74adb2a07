// The map page: everything it shows comes from the GraphQL API of the server that serves it.
// Plain ES module, no bundler; Leaflet is the global `L` loaded by index.html.

const CATEGORIES = {
  CANTEEN: { label: 'Canteens', color: '#e66101' },
  ELDER_CARE: { label: 'Elder care', color: '#1b7837' },
  REST_STATION: { label: 'Rest stations', color: '#5e3c99' },
};
const PAGE_SIZE = 100; // the API's largest page

const $ = (id) => document.getElementById(id);

class ApiError extends Error {}

// One helper for every request, so every failure reaches the user the same way:
// the server's message plus its `extensions.code`.
async function graphql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status} ${response.statusText}`);
  }
  if (body.errors?.length) {
    const messages = body.errors.map((e) => `${e.message} [${e.extensions?.code ?? 'NO_CODE'}]`);
    throw new ApiError(messages.join('; '));
  }
  if (!response.ok) throw new ApiError(`HTTP ${response.status} ${response.statusText}`);
  return body.data;
}

function showError(error) {
  $('error').textContent = error instanceof ApiError ? `API error: ${error.message}` : String(error);
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

const setStatus = (message) => { $('status').textContent = message; };
// Leaflet puts tooltip strings in as HTML; names come from users, so they go in as text.
const text = (value) => Object.assign(document.createElement('span'), { textContent: value });
const percent = (ratio) => `${(ratio * 100).toFixed(1)}%`;
const number = (n) => n.toLocaleString('en');
const latLng = (p) => [p.lat, p.lon];
const minutes = () => Number($('minutes').value);
// The facilities coverage and suggestions count: one category, or all of them.
const serviceFilter = () => ($('category').value ? { categories: [$('category').value] } : {});
const humanize = (constant) => constant.charAt(0) + constant.slice(1).toLowerCase().replaceAll('_', ' ');

const FACILITIES = `query Facilities($after: String, $crs: Crs!) {
  facilities(first: ${PAGE_SIZE}, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name category location(crs: $crs) { lon lat } }
  }
}`;

const FACILITY = `query Facility($id: ID!, $minutes: Float!, $crs: Crs!) {
  facility(id: $id) {
    id name kind category address phone openingHours isOpen services capacity
    canteen { seats basePriceYuan agePrices { minAge maxAge priceYuan } diets halal delivery }
    elderCare { beds dayCarePlaces careServices }
    restStation { amenities access open24Hours targetGroups }
    serviceCircle(minutes: $minutes, crs: $crs)
  }
}`;

// Live changes: the same fields as a facilities page, so a changed facility is drawn the same way.
const CHANGES = `subscription Changes($crs: Crs!) {
  facilityChanged { kind id facility { id name category location(crs: $crs) { lon lat } } }
}`;

const COVERAGE = `query Coverage($input: CoverageInput!, $crs: Crs!) {
  coverage(input: $input) {
    elderlyCoverageRatio residentialAreas coveredResidentialAreas
    elderlyPopulation coveredElderlyPopulation
  }
  coverageGaps(input: $input, crs: $crs) { area elderlyPopulation population residentialAreaIds }
  residentialAreaCoverage(input: $input, crs: $crs)
}`;

const HEATMAP = `query Heatmap($filter: FacilityFilter, $crs: Crs!) {
  travelTimeGrid(filter: $filter, resolution: 8, maxMinutes: 30) { cellCount maxMinutes features(crs: $crs) }
}`;

const NORMS = `query Norms {
  normSets { name description }
}`;

const COMPLIANCE = `query Compliance($set: String!, $crs: Crs!) {
  normCompliance(normSet: $set) {
    shareOfElderlyMeetingAll
    requirements { label minutes shareOfElderlyMeeting }
    communities { communityCode elderlyPopulation shareOfElderlyMeetingAll }
    features(crs: $crs)
  }
}`;

// Heatmap classes: upper bounds in minutes, and their colours (light: near).
const HEAT = [
  { upTo: 5, color: '#1a9850', label: 'up to 5 min' },
  { upTo: 10, color: '#91cf60', label: '5–10 min' },
  { upTo: 15, color: '#fee08b', label: '10–15 min' },
  { upTo: 30, color: '#fc8d59', label: '15–30 min' },
];
const BEYOND = { color: '#d73027', label: 'beyond 30 min' };
const OFF_NETWORK = { color: '#999999', label: 'off the walking network' };
const heatClass = (properties) => {
  if (properties.reach === 'OFF_NETWORK') return { ...OFF_NETWORK, key: 'off' };
  if (properties.minutes === null || properties.minutes === undefined) return { ...BEYOND, key: 'beyond' };
  const i = HEAT.findIndex((h) => properties.minutes <= h.upTo);
  return i < 0 ? { ...BEYOND, key: 'beyond' } : { ...HEAT[i], key: String(HEAT[i].upTo) };
};

const SUGGEST = `query Suggest($input: SiteSuggestionInput!, $crs: Crs!) {
  suggestSites(input: $input) {
    sites { location(crs: $crs) { lon lat } newlyCoveredElderly cumulativeElderlyCoverageRatio }
    elderlyCoverageRatioBefore elderlyCoverageRatioAfter
  }
}`;

async function main() {
  if (!window.L) {
    // Leaflet is built into the server from npm; a build on a machine without npm lacks it.
    showError('Leaflet was not built into this server: install Node.js 20 or later with npm, then build service-circle again.');
    setStatus('');
    return;
  }
  const config = await fetch('/map-config.json').then((r) => r.json());
  // AMap/Tencent tiles are drawn in GCJ-02: ask the API for every geometry in the tiles' system
  // so markers line up with the streets underneath.
  const crs = config.tileCrs === 'GCJ02' ? 'GCJ02' : 'WGS84';

  // Zoom limits of its own: otherwise Leaflet takes them from the layers, and the network
  // layer (zoom 13 and closer) would keep the map from showing the whole district.
  const map = L.map('map', { preferCanvas: false, zoomSnap: 0.5, minZoom: 2, maxZoom: 20 });
  window.serviceCircleMap = map; // for the browser tests
  L.control.scale({ metric: true, imperial: false, maxWidth: 150 }).addTo(map);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.tileAttribution ?? '' }).addTo(map);
  }
  // The stored walking network as a base layer from the server's own vector tiles: streets
  // without a tile server or internet. Its positions are WGS-84, so not over GCJ-02 tiles
  // (which draw their own streets). From zoom 13, where the server has network tiles.
  if (crs === 'WGS84' && L.vectorGrid) {
    window.serviceCircleNetwork = L.vectorGrid.protobuf('/tiles/network/{z}/{x}/{y}.mvt', {
      vectorTileLayerStyles: { network: { weight: 1.2, color: '#a7b0ba', opacity: 1 } },
      minZoom: 13, maxNativeZoom: 18, maxZoom: 20, interactive: false, className: 'network-tiles',
    }).addTo(map);
  }
  // Own panes keep the stacking stable whatever is loaded first: gaps and circles under the
  // facilities (which stay clickable), residential areas over them, suggestions on top.
  for (const [name, z] of [['heat', 370], ['gaps', 380], ['circle', 390], ['areas', 410], ['sites', 620]]) {
    map.createPane(name).style.zIndex = z;
  }

  const layers = {
    categories: Object.fromEntries(Object.keys(CATEGORIES).map((c) => [c, L.featureGroup()])),
    circle: L.layerGroup().addTo(map),
    coverage: L.layerGroup(),
    heatmap: L.layerGroup(),
    norms: L.layerGroup(),
    sites: L.layerGroup().addTo(map),
  };

  // Facilities: all pages first, so the view can be fitted before anything is drawn.
  const facilities = [];
  let page = { pageInfo: { hasNextPage: true, endCursor: null } };
  while (page.pageInfo.hasNextPage) {
    page = (await graphql(FACILITIES, { after: page.pageInfo.endCursor, crs })).facilities;
    facilities.push(...page.nodes);
    setStatus(`Loading facilities… ${facilities.length} of ${page.totalCount}`);
  }
  if (facilities.length) {
    map.fitBounds(facilities.map((f) => latLng(f.location)), { padding: [20, 20] });
  } else {
    map.setView([0, 0], 2);
  }
  for (const group of Object.values(layers.categories)) group.addTo(map);

  let selected = null;
  const markers = new Map(); // facility id -> { marker, category }
  function removeFacility(id) {
    const drawn = markers.get(id);
    if (!drawn) return;
    layers.categories[drawn.category].removeLayer(drawn.marker);
    markers.delete(id);
  }
  function addFacility(f) {
    removeFacility(f.id);
    const marker = L.circleMarker(latLng(f.location), {
      radius: 6, color: '#fff', weight: 1.5, fillColor: CATEGORIES[f.category].color, fillOpacity: 0.9,
      className: `facility-marker facility-${f.category}`, facilityId: f.id,
    });
    marker.bindTooltip(text(f.name), { direction: 'top', offset: [0, -6] });
    marker.on('click', () => selectFacility(f.id, marker));
    layers.categories[f.category].addLayer(marker);
    // A hidden category's markers have no element until shown.
    const element = marker.getElement();
    if (element) element.dataset.facilityId = f.id;
    else marker.once('add', () => { marker.getElement().dataset.facilityId = f.id; });
    markers.set(f.id, { marker, category: f.category });
  }
  function countFacilities() {
    $('facility-count').textContent = markers.size;
    for (const item of $('legend').children) {
      const category = item.dataset.category;
      item.querySelector('.count').textContent = [...markers.values()].filter((m) => m.category === category).length;
    }
  }
  for (const f of facilities) addFacility(f);
  drawLegend(layers.categories, map);
  countFacilities();
  setStatus(`Click a facility for its details and ${minutes()}-minute service circle.`);
  document.body.dataset.ready = 'facilities';

  // Redraw facilities as they change, through any instance of the service.
  subscribe(CHANGES, { crs }, (data) => {
    const change = data.facilityChanged;
    if (change.kind === 'DELETED') removeFacility(change.id);
    else addFacility(change.facility);
    countFacilities();
    document.body.dataset.changes = Number(document.body.dataset.changes ?? 0) + 1;
  }, (message) => setStatus(message));

  // Responses can arrive out of order when the user clicks quickly: only the latest counts.
  let selection = 0;
  async function selectFacility(id, marker) {
    const ticket = ++selection;
    selected?.setStyle({ color: '#fff', weight: 1.5 });
    selected = marker;
    marker.setStyle({ color: '#000', weight: 2.5 });
    try {
      const { facility } = await graphql(FACILITY, { id, minutes: minutes(), crs });
      if (ticket !== selection) return;
      clearError();
      showDetails(facility);
      layers.circle.clearLayers();
      L.geoJSON(facility.serviceCircle, {
        pane: 'circle',
        style: { className: 'service-circle', color: CATEGORIES[facility.category].color, weight: 2, fillOpacity: 0.15 },
      }).addTo(layers.circle);
    } catch (e) {
      if (ticket === selection) showError(e);
    }
  }

  $('details-close').addEventListener('click', () => {
    selection++;
    selected?.setStyle({ color: '#fff', weight: 1.5 });
    selected = null;
    layers.circle.clearLayers();
    $('details').hidden = true;
  });

  let coverageAsked = null;
  async function showCoverage() {
    document.body.dataset.ready = 'loading-coverage';
    const input = { minutes: minutes(), filter: serviceFilter() };
    if (coverageAsked !== JSON.stringify(input)) {
      setStatus('Computing coverage…');
      const data = await graphql(COVERAGE, { input, crs });
      drawCoverage(data, layers.coverage);
      coverageAsked = JSON.stringify(input);
    }
    layers.coverage.addTo(map);
    const service = $('category').selectedOptions[0].textContent.toLowerCase();
    $('coverage-category').textContent = service;
    setStatus(`Residential areas within ${input.minutes} minutes' walk of ${$('category').value ? 'a facility of this service' : 'any facility'}.`);
    document.body.dataset.ready = 'coverage';
  }

  let heatmapAsked = null;
  async function showHeatmap() {
    document.body.dataset.ready = 'loading-heatmap';
    const filter = serviceFilter();
    if (heatmapAsked !== JSON.stringify(filter)) {
      setStatus('Computing the heatmap…');
      const { travelTimeGrid } = await graphql(HEATMAP, { filter, crs });
      drawHeatmap(travelTimeGrid, layers.heatmap);
      heatmapAsked = JSON.stringify(filter);
    }
    layers.heatmap.addTo(map);
    $('heatmap-category').textContent = $('category').value ? $('category').selectedOptions[0].textContent.toLowerCase() : 'facility';
    setStatus('Walking minutes from each hexagon to the nearest facility of the service.');
    document.body.dataset.ready = 'heatmap';
  }

  let normsShown = false;
  async function showNorms() {
    document.body.dataset.ready = 'loading-norms';
    if (!normsShown) {
      setStatus('Checking the norms…');
      const { normSets } = await graphql(NORMS);
      if (!normSets.length) {
        setStatus('No norm set is loaded: an admin loads one with loadNorms.');
        document.body.dataset.ready = 'norms';
        return;
      }
      const set = normSets[0];
      const { normCompliance } = await graphql(COMPLIANCE, { set: set.name, crs });
      drawNorms(set, normCompliance, layers.norms);
      normsShown = true;
    }
    layers.norms.addTo(map);
    setStatus('Residential areas by whether they meet every requirement of the norm set.');
    document.body.dataset.ready = 'norms';
  }

  function showFacilities() {
    layers.coverage.remove();
    setStatus(`Click a facility for its details and ${minutes()}-minute service circle.`);
    document.body.dataset.ready = 'facilities';
  }

  const VIEWS = { facilities: () => showFacilities(), coverage: showCoverage, heatmap: showHeatmap, norms: showNorms };
  let view = 'facilities';
  async function setView(next) {
    view = next;
    for (const name of Object.keys(VIEWS)) {
      $(`view-${name}`).setAttribute('aria-pressed', view === name);
      if (name !== 'facilities') {
        $(`${name}-section`).hidden = view !== name;
        if (view !== name) layers[name].remove();
      }
    }
    $('map').classList.toggle('coverage-view', view === 'coverage');
    clearError();
    try {
      await VIEWS[view]();
    } catch (e) {
      showError(e);
    }
  }
  for (const name of Object.keys(VIEWS)) $(`view-${name}`).addEventListener('click', () => setView(name));

  $('category').addEventListener('change', () => {
    if (view === 'coverage' || view === 'heatmap') setView(view);
  });

  $('minutes').addEventListener('change', () => {
    if (!(minutes() > 0 && minutes() <= 120)) return showError('The travel budget must be in (0, 120] minutes.');
    if (view === 'coverage') setView('coverage');
    if (selected) selected.fire('click');
  });

  $('suggest-button').addEventListener('click', async () => {
    const count = Number($('suggest-count').value);
    if (!(Number.isInteger(count) && count >= 1 && count <= 50)) return showError('Suggest 1 to 50 sites.');
    const button = $('suggest-button');
    button.disabled = true;
    delete document.body.dataset.suggested;
    try {
      const input = { coverage: { minutes: minutes(), filter: serviceFilter() }, count };
      const { suggestSites } = await graphql(SUGGEST, { input, crs });
      clearError();
      drawSuggestions(suggestSites, layers.sites);
      document.body.dataset.suggested = suggestSites.sites.length;
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  });
}

// A minimal graphql-transport-ws client for one subscription, reconnecting when the
// connection drops (a restart or a deploy behind a load balancer).
function subscribe(query, variables, onData, onTrouble, delay = 1000, reconnecting = false) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const socket = new WebSocket(url, 'graphql-transport-ws');
  socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init' }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: 'changes', type: 'subscribe', payload: { query, variables } }));
      document.body.dataset.live = 'yes';
      delay = 1000;
      // Changes made while the connection was down were not seen.
      if (reconnecting) onTrouble('Live updates reconnected: reload the page to see changes made meanwhile.');
    } else if (message.type === 'next' && message.payload.data) {
      onData(message.payload.data);
    } else if (message.type === 'next' || message.type === 'error') {
      // CHANGES_MISSED: the page may be stale; a reload shows the current facilities.
      onTrouble('Some live changes were missed: reload the page to catch up.');
    } else if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
    }
  };
  socket.onclose = () => {
    document.body.dataset.live = 'no';
    setTimeout(() => subscribe(query, variables, onData, onTrouble, Math.min(delay * 2, 30000), true), delay);
  };
}

function drawLegend(groups, map) {
  const legend = $('legend');
  legend.replaceChildren();
  for (const [category, { label, color }] of Object.entries(CATEGORIES)) {
    const item = document.createElement('li');
    item.innerHTML = `<label><input type="checkbox" checked><span class="swatch"></span>
      <span class="label"></span> <span class="count"></span></label>`;
    item.dataset.category = category;
    item.querySelector('.swatch').style.background = color;
    item.querySelector('.label').textContent = label;
    item.querySelector('input').addEventListener('change', (e) => {
      if (e.target.checked) groups[category].addTo(map);
      else groups[category].remove();
    });
    legend.append(item);
  }
}

function showDetails(f) {
  $('details-name').textContent = f.name;
  const fields = [
    ['Kind', humanize(f.kind)],
    ['Address', f.address],
    ['Phone', f.phone],
    ['Opening hours', f.openingHours],
    ['Open now', f.isOpen === null ? 'unknown' : f.isOpen ? 'yes' : 'no'],
    ['Services', f.services.map(humanize).join(', ')],
    ['Capacity', f.capacity],
    ...categoryDetails(f),
  ];
  $('details-fields').replaceChildren(...fields.flatMap(([name, value]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = value === null || value === '' ? '—' : value;
    return [dt, dd];
  }));
  $('details').hidden = false;
}

const list = (values) => values.map(humanize).join(', ');
const yuan = (n) => `¥${n}`;

// What matters for each category: prices by age for canteens, places for elder care,
// amenities for rest stations.
function categoryDetails(f) {
  if (f.canteen) {
    const c = f.canteen;
    const bands = c.agePrices.map((p) => `${p.minAge}${p.maxAge === null ? '+' : `–${p.maxAge}`}: ${yuan(p.priceYuan)}`);
    return [
      ['Seats', c.seats],
      ['Base price', c.basePriceYuan === null ? null : yuan(c.basePriceYuan)],
      ['Prices by age', bands.join('; ')],
      ['Diets', list(c.diets)],
      ['Halal', c.halal ? 'yes' : 'no'],
      ['Delivery', c.delivery ? 'yes' : 'no'],
    ];
  }
  if (f.elderCare) {
    const e = f.elderCare;
    return [['Beds', e.beds], ['Day-care places', e.dayCarePlaces], ['Care services', list(e.careServices)]];
  }
  if (f.restStation) {
    const r = f.restStation;
    return [
      ['Amenities', list(r.amenities)],
      ['Open 24 hours', r.open24Hours ? 'yes' : 'no'],
      ['Access', humanize(r.access)],
      ['For', list(r.targetGroups)],
    ];
  }
  return [];
}

function drawCoverage({ coverage, coverageGaps, residentialAreaCoverage }, layer) {
  layer.clearLayers();
  for (const gap of coverageGaps) {
    L.geoJSON(gap.area, { pane: 'gaps', style: { className: 'coverage-gap', color: '#b2182b', weight: 1, fillOpacity: 0.2 } })
      .bindTooltip(`Gap: ${number(gap.elderlyPopulation)} elderly in ${gap.residentialAreaIds.length} areas`)
      .addTo(layer);
  }
  L.geoJSON(residentialAreaCoverage, {
    pointToLayer: (feature, at) => {
      const covered = feature.properties.covered;
      return L.circleMarker(at, {
        pane: 'areas', radius: 3, weight: 0, fillOpacity: 0.8,
        fillColor: covered ? '#2166ac' : '#d6604d', className: covered ? 'area-covered' : 'area-uncovered',
      }).bindTooltip(text(`${feature.properties.name}: ${number(feature.properties.elderlyPopulation)} elderly`));
    },
  }).addTo(layer);

  const ratio = $('coverage-ratio');
  ratio.textContent = percent(coverage.elderlyCoverageRatio);
  ratio.dataset.ratio = coverage.elderlyCoverageRatio;
  $('coverage-counts').textContent =
    `${number(coverage.coveredElderlyPopulation)} of ${number(coverage.elderlyPopulation)} elderly residents; ` +
    `${number(coverage.coveredResidentialAreas)} of ${number(coverage.residentialAreas)} residential areas.`;
}

function drawHeatmap(grid, layer) {
  layer.clearLayers();
  const counts = {};
  L.geoJSON(grid.features, {
    pane: 'heat',
    style: (feature) => {
      const heat = heatClass(feature.properties);
      counts[heat.key] = (counts[heat.key] ?? 0) + 1;
      return { className: `heat-cell heat-${heat.key}`, color: heat.color, weight: 0.5, fillColor: heat.color, fillOpacity: 0.55 };
    },
    onEachFeature: (feature, l) => l.bindTooltip(feature.properties.minutes === null
      ? (feature.properties.reach === 'OFF_NETWORK' ? 'off the walking network' : `beyond ${grid.maxMinutes} min`)
      : `${feature.properties.minutes.toFixed(1)} min`),
  }).addTo(layer);
  $('heatmap-summary').textContent = `${number(grid.cellCount)} hexagons (H3 resolution 8, about 0.7 km² each).`;
  $('heatmap-legend').replaceChildren(...[...HEAT.map((h) => ({ ...h, key: String(h.upTo) })), { ...BEYOND, key: 'beyond' }, { ...OFF_NETWORK, key: 'off' }]
    .map((h) => {
      const item = document.createElement('li');
      item.dataset.heat = h.key;
      item.innerHTML = '<span class="swatch"></span><span class="label"></span> <span class="count"></span>';
      item.querySelector('.swatch').style.background = h.color;
      item.querySelector('.label').textContent = h.label;
      item.querySelector('.count').textContent = number(counts[h.key] ?? 0);
      return item;
    }));
}

function drawNorms(set, compliance, layer) {
  layer.clearLayers();
  $('norm-set-name').textContent = set.name;
  $('norm-set-description').textContent = set.description ?? '';
  const ratio = $('norms-ratio');
  ratio.textContent = percent(compliance.shareOfElderlyMeetingAll);
  ratio.dataset.ratio = compliance.shareOfElderlyMeetingAll;
  const row = (...cells) => {
    const tr = document.createElement('tr');
    tr.append(...cells.map((c) => Object.assign(document.createElement('td'), { textContent: c })));
    return tr;
  };
  $('norm-requirements').tBodies[0].replaceChildren(...compliance.requirements.map((r) =>
    row(`${r.minutes} min`, r.label, percent(r.shareOfElderlyMeeting))));
  $('norm-communities').tBodies[0].replaceChildren(...compliance.communities.slice(0, 10).map((c) =>
    row(c.communityCode ?? 'no code', number(c.elderlyPopulation), percent(c.shareOfElderlyMeetingAll))));
  L.geoJSON(compliance.features, {
    pointToLayer: (feature, at) => {
      const meets = feature.properties.meetsAll;
      return L.circleMarker(at, {
        pane: 'areas', radius: 3, weight: 0, fillOpacity: 0.8,
        fillColor: meets ? '#2166ac' : '#d6604d', className: meets ? 'area-meets' : 'area-misses',
      }).bindTooltip(text(meets ? feature.properties.name : `${feature.properties.name}: misses ${feature.properties.unmet.join(', ')}`));
    },
  }).addTo(layer);
}

function drawSuggestions(suggestion, layer) {
  layer.clearLayers();
  suggestion.sites.forEach((site, i) => {
    L.circleMarker(latLng(site.location), {
      pane: 'sites', radius: 9, color: '#000', weight: 2, fillColor: '#ffd700', fillOpacity: 1,
      className: 'suggested-site',
    })
      .bindTooltip(String(i + 1), { permanent: true, direction: 'center', className: 'site-label' })
      .addTo(layer);
  });
  $('suggest-summary').textContent = suggestion.sites.length
    ? `Elderly coverage ${percent(suggestion.elderlyCoverageRatioBefore)} → ${percent(suggestion.elderlyCoverageRatioAfter)}`
    : 'No site would cover anyone new.';
  $('suggest-list').replaceChildren(...suggestion.sites.map((site) => {
    const item = document.createElement('li');
    item.textContent = `+${number(site.newlyCoveredElderly)} elderly → ${percent(site.cumulativeElderlyCoverageRatio)}`;
    return item;
  }));
}

main().catch((e) => {
  showError(e);
  setStatus('');
});
