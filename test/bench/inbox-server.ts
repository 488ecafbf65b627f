/**
 * One server of the webhook benchmark, in its own process so the load generator does not share its event
 * loop: `bare` (Hono answering 202), `verify` (read, HMAC, constant-time compare, JSON.parse, 202, store
 * nothing), `sidecar` (the real sidecar: verified, validated and durably stored before the 202; no Gogs, so
 * nothing is built) or `busy` (the same sidecar beside the Gogs double of gogs-server.ts: every stored delivery
 * also becomes a build that the same process's trigger plans and whose stage its queue runs in a container).
 * Prints `listening <url>` when ready; runs until killed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { loadConfig } from '../../sidecar/config/index.ts';
import { hookSecretPlace } from '../../sidecar/core/index.ts';
import { startSidecar } from '../../sidecar/main.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { repoFacts } from '../support/stores.ts';

const [kind, dataDir, secret, gogsIdText, gogsJson] = process.argv.slice(2);
if (!kind || !dataDir || !secret || !gogsIdText)
  throw new Error('usage: inbox-server.ts KIND DATA_DIR SECRET GOGS_ID');

function listenWith(app: Hono) {
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
    console.log(`listening http://127.0.0.1:${info.port}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (kind === 'bare') {
  listenWith(new Hono().post('/hook', (c) => c.body(null, 202)));
} else if (kind === 'verify') {
  listenWith(
    new Hono().post('/hook', async (c) => {
      const body = Buffer.from(await c.req.arrayBuffer());
      const expected = Buffer.from(c.req.header('x-gogs-signature') ?? '', 'hex');
      const actual = createHmac('sha256', secret).update(body).digest();
      if (expected.length !== actual.length || !timingSafeEqual(actual, expected)) return c.body(null, 401);
      JSON.parse(body.toString('utf8'));
      return c.body(null, 202);
    }),
  );
} else if (kind === 'sidecar' || kind === 'busy') {
  const gogs: { url: string; token: string; cloneUrl: string } | null =
    kind === 'busy' ? JSON.parse(gogsJson ?? '') : null;
  const secretKey = 'ab'.repeat(32);
  const url = pathToFileURL(join(dataDir, 'drone-gogs.db')).href;
  const seed = await openStores({ url });
  const repo = await seed.repos.upsertFacts({
    ...repoFacts(gogs ? 'alice/app' : 'bench/repo', Number(gogsIdText)),
    cloneUrl: gogs?.cloneUrl ?? '',
  });
  await seed.repos.update(repo.id, {
    active: true,
    hookSecret: createSecretCipher(Buffer.from(secretKey, 'hex')).encrypt(
      secret,
      hookSecretPlace(repo.gogsId),
    ),
  });
  await seed.close();
  const config = loadConfig(
    {
      DRONE_GOGS_DATA_DIR: dataDir,
      DRONE_GOGS_SECRET_KEY: secretKey,
      DRONE_GOGS_LISTEN: '127.0.0.1:0',
      ...(gogs
        ? {
            DRONE_GOGS_GOGS_URL: gogs.url,
            DRONE_GOGS_GOGS_TOKEN: gogs.token,
            DRONE_GOGS_RECONCILE_INTERVAL_SECONDS: '0',
          }
        : {}),
    },
    dataDir,
  );
  const sidecar = await startSidecar(config, createLogger({ format: 'text', level: 'error' }));
  console.log(`listening ${sidecar.url}`);
  process.on('SIGTERM', () => {
    sidecar.stop().then(() => process.exit(0));
  });
} else {
  throw new Error(`unknown server kind ${kind}`);
}
