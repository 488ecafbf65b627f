/**
 * The changed paths are fetched beside the pipeline file, and the build waits for them only when a `paths:`
 * condition is there to read them. Real stores and the real planning thread; Gogs and git are stand-ins whose
 * answers the test holds back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, GitRemote, GogsClient } from '../../sidecar/core/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import {
  type DeliveryProcessorDeps,
  planUnderDeadline,
  processDelivery,
} from '../../sidecar/trigger/index.ts';
import { repoRoot } from '../pipeline/support.ts';
import { openTestStores, repoFacts, testDelivery } from '../support/stores.ts';

const PUSH = readFileSync(join(repoRoot, '../shared/examples/gogs/push.json'), 'utf8');
const PLAIN = 'kind: pipeline\nname: test\nsteps:\n- {name: test, image: busybox, commands: [true]}\n';
const WITH_PATHS = `${PLAIN}trigger:\n  paths: [src/**]\n`;

function held<T>() {
  let release: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

describe('changed paths beside the pipeline file', () => {
  let stores: Awaited<ReturnType<typeof openTestStores>>;
  afterEach(() => stores.dispose());

  async function processWith(
    file: string,
    paths: Promise<string[] | null>,
    {
      afterPlan = () => {},
      fileAfter = Promise.resolve(),
    }: { afterPlan?: () => void; fileAfter?: Promise<unknown> } = {},
  ) {
    stores = await openTestStores();
    const repo = await stores.repos.upsertFacts(repoFacts('gogs/hello', 1));
    await stores.repos.update(repo.id, { active: true });
    await stores.deliveries.record({ ...testDelivery('push-1', repo.id), event: 'push', body: PUSH });
    const delivery = (await stores.deliveries.findByDeliveryId('push-1')) as Delivery;
    const asked: string[] = [];
    const plannedWith: (string[] | null)[] = [];
    const deps: DeliveryProcessorDeps = {
      repos: stores.repos,
      builds: stores.builds,
      gogs: {
        getRawFile: async () => {
          await fileAfter;
          return new TextEncoder().encode(file);
        },
      } as unknown as GogsClient,
      git: {
        changedPaths: (request) => {
          asked.push(`${request.from}..${request.to}`);
          return paths;
        },
      } as GitRemote,
      credentials: () => null,
      plan: async (source, context, options) => {
        const planned = await planUnderDeadline(source, context, options);
        plannedWith.push(context.changedPaths);
        afterPlan();
        return planned;
      },
      system: { proto: 'http', host: 'ci.example.com', version: 'test' },
      clock: { now: () => Date.now() },
      logger: createLogger({ format: 'text', level: 'error', write: () => {} }),
    };
    return { outcome: processDelivery(delivery, deps), asked, plannedWith };
  }

  it('creates the build without waiting when no condition reads them, and still fetches them for the clone', async () => {
    const paths = held<string[] | null>();
    const { outcome, asked, plannedWith } = await processWith(PLAIN, paths.promise);
    const done = await outcome;
    expect(plannedWith).toEqual([null]);
    expect(done).toMatchObject({ status: 'done', created: true });
    if (done.status !== 'done') return;
    expect(done.build.status).toBe('pending');
    expect(done.build.changedPaths).toBeNull();
    expect(asked).toHaveLength(1);
    paths.release(['README.md']);
  });

  it('waits for them when a trigger reads them, and plans and records with them', async () => {
    const paths = held<string[] | null>();
    // They come once the plan without them is made: with that plan (unknown paths match) a build would be made.
    const { outcome, plannedWith } = await processWith(WITH_PATHS, paths.promise, {
      afterPlan: () => paths.release(['docs/index.md']),
    });
    expect(await outcome).toMatchObject({
      status: 'ignored',
      reason: 'no pipeline runs for this push (test: paths: no changed file matches paths)',
    });
    expect(plannedWith).toEqual([null, ['docs/index.md']]);
  });

  it('plans once with them when they are known before the file', async () => {
    const known = Promise.resolve(['src/main.go']);
    const { outcome, plannedWith } = await processWith(WITH_PATHS, known, {
      fileAfter: known.then(() => new Promise((resolve) => setImmediate(resolve))),
    });
    const done = await outcome;
    expect(done.status === 'done' && done.build.changedPaths).toEqual(['src/main.go']);
    expect(plannedWith).toEqual([['src/main.go']]);
  });
});
