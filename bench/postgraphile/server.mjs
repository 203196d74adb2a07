// PostGraphile 5 (Amber preset) over the `bench` schema, one Node process per PROCESSES
// (node:cluster), for bench/postgraphile.sh. Env: DATABASE_URL, PORT, PROCESSES (1).
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';

const processes = Number(process.env.PROCESSES || 1);
if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i += 1) cluster.fork();
} else {
  const preset = {
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['bench'], poolConfig: { max: 16 } })],
    grafserv: { graphiql: false, watch: false },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const server = createServer();
  server.on('error', (e) => { console.error(e); process.exit(1); });
  await pgl.createServ(grafserv).addTo(server);
  server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`postgraphile listening on ${process.env.PORT}`));
}
