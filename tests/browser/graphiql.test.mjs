// GraphiQL in headless Chromium with the network cut off: every request that leaves the server's
// origin is refused (and recorded), as on an intranet or a plane. The page must load from the
// server alone and run a query whose answer matches the API's.
//
//   SERVER_URL=http://127.0.0.1:8080 node --test tests/browser/graphiql.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const SERVER_URL = (process.env.SERVER_URL ?? '').replace(/\/$/, '');
if (!SERVER_URL) throw new Error('set SERVER_URL to the running server, e.g. http://127.0.0.1:8080');
const TIMEOUT = 60_000;
const QUERY = 'query CountCanteens { facilities(filter: { categories: [CANTEEN] }) { totalCount } }';

let browser, page;
const problems = []; // console errors (CSP violations among them), page errors, failed requests
const offline = []; // requests for anything not on the server

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const origin = new URL(SERVER_URL).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
    offline.push(url);
    return route.abort('internetdisconnected');
  });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  await page.goto(`${SERVER_URL}/graphql`);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');
});

after(async () => {
  await browser?.close();
});

test('GraphiQL loads from the server alone and runs a query', async () => {
  const expected = await fetch(`${SERVER_URL}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  }).then((r) => r.json());
  assert.equal(expected.errors, undefined, JSON.stringify(expected.errors));
  assert.ok(expected.data.facilities.totalCount > 0, 'the demo data has canteens');

  // CodeMirror 5 keeps its instance on the editor's element; typing would fight its auto-close.
  await page.evaluate((query) => {
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(query);
  }, QUERY);
  await page.click('.graphiql-execute-button');
  const shown = await page.waitForFunction(() => {
    const text = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '';
    try { return JSON.parse(text); } catch { return null; }
  });
  assert.deepEqual(await shown.jsonValue(), expected);
  await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR || 'target/browser', 'graphiql.png') });
});

test('asks nothing of the internet and logs no errors', () => {
  assert.deepEqual(offline, []);
  assert.deepEqual(problems, []);
});
