// The GraphQL-over-HTTP specification's audit (npm `graphql-http`) against the real server:
// every MUST and every SHOULD passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

// graphql-http is installed with the map page's packages (web/).
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { serverAudits } = require('graphql-http');

const url = `${process.env.SERVER_URL}/graphql`;

test('every MUST and SHOULD of GraphQL over HTTP holds', async () => {
  const failed = [];
  for (const audit of serverAudits({ url })) {
    const result = await audit.fn();
    if (result.status !== 'ok') {
      const status = result.response ? `HTTP ${result.response.status}` : 'no response';
      failed.push(`${audit.name} (${result.status}): ${result.reason} [${status}]`);
    }
  }
  assert.deepEqual(failed, [], failed.join('\n'));
});
