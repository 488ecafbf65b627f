import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine, Stage, Step, StepChange, Stores } from '../../sidecar/core/index.ts';
import { createStoreThread, openStores } from '../../sidecar/store/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { REPO_ROOT } from '../support/sidecar-process.ts';
import { openTestStores, repoFacts, testDelivery } from '../support/stores.ts';

const STORE_THREAD = new URL('sidecar/intake-thread.ts', `file://${REPO_ROOT}/`);

type TestStores = Awaited<ReturnType<typeof openTestStores>>;

const lines = (from: number, count: number): LogLine[] =>
  Array.from({ length: count }, (_, index) => ({
    number: from + index,
    text: `line ${from + index}`,
    time: 0,
  }));

const running = (startedAt: number): StepChange => ({
  status: 'running',
  exitCode: null,
  error: null,
  startedAt,
  finishedAt: 0,
});

/** A build of alice/app with one stage of steps `clone` and `test`, as stored. */
async function seed(stores: Stores): Promise<{ repoId: number; stage: Stage; clone: Step; test: Step }> {
  const repo = await stores.repos.upsertFacts(repoFacts('alice/app', 1));
  const { build } = await stores.builds.create(
    testBuild(repo.id, 'hook:1', {
      stages: [testStage(1, 'default', { steps: [testStep(1, 'clone'), testStep(2, 'test')] })],
    }),
  );
  const stage = (await stores.builds.get(build.id))?.stages[0];
  const [clone, test] = stage?.steps ?? [];
  if (stage === undefined || clone === undefined || test === undefined) throw new Error('no steps stored');
  return { repoId: repo.id, stage, clone, test };
}

const stepRow = async (stores: Stores, step: Step) =>
  (await stores.builds.get(step.buildId))?.stages
    .flatMap((stage) => stage.steps)
    .find((s) => s.id === step.id);

describe('the one write path for hot writes', () => {
  let stores: TestStores;
  beforeEach(async () => {
    stores = await openTestStores();
  });
  afterEach(() => stores.dispose());

  it('commits the other writes of a group when one fails, and rolls back all of the one that failed', async () => {
    const { repoId, stage, clone, test } = await seed(stores);
    // Made in one turn of the event loop: one group commit. The clone update fails after its change-feed row
    // was written (started_at may not be null), so only a rollback of that write alone removes the row.
    const settled = await Promise.allSettled([
      stores.deliveries.record(testDelivery('d-1', repoId)),
      stores.logs.append(test.id + 1000, lines(0, 1)),
      stores.stageQueue.updateStep(stage, clone, { ...running(0), startedAt: null as unknown as number }),
      stores.logs.append(test.id, lines(0, 3)),
      stores.stageQueue.updateStep(stage, test, running(5)),
      stores.deliveries.record(testDelivery('d-1', repoId)),
      stores.deliveries.record(testDelivery('d-2', repoId)),
    ]);
    expect(settled.map((result) => result.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(settled[1]).toMatchObject({ reason: { code: 'NOT_FOUND' } });
    expect(settled[2]).toMatchObject({ reason: { code: 'STORE_FAILED' } });
    expect(settled.map((result) => (result.status === 'fulfilled' ? result.value : null))).toEqual([
      'stored',
      null,
      null,
      lines(0, 3),
      undefined,
      'duplicate',
      'stored',
    ]);

    expect((await stores.deliveries.list({ limit: 10 })).map((row) => row.deliveryId).sort()).toEqual([
      'd-1',
      'd-2',
    ]);
    expect(await stores.logs.read(test.id)).toEqual(lines(0, 3));
    expect(await stepRow(stores, test)).toMatchObject({ status: 'running', startedAt: 5 });
    expect(await stepRow(stores, clone)).toMatchObject({ status: 'pending', startedAt: 0 });
    const feed = await stores.changes.after(0, 100);
    expect(feed.filter((row) => row.kind !== 'build' && row.kind !== 'stage')).toEqual([
      expect.objectContaining({ kind: 'log', stepId: test.id, detail: '0' }),
      expect.objectContaining({ kind: 'step', stepId: test.id, detail: 'running' }),
    ]);
  });

  it('through the store-writer thread keeps the stores conditional: an ended step keeps its end, unrecorded twice', async () => {
    const { stage, test } = await seed(stores);
    let spawned = 0;
    const thread = createStoreThread(() => {
      spawned++;
      return new Worker(STORE_THREAD, { workerData: { url: stores.url, sync: 'normal' } });
    });
    const threaded = await openStores({ url: stores.url, migrate: false, thread });
    try {
      await threaded.stageQueue.updateStep(stage, test, running(5));
      expect(await threaded.logs.append(test.id, lines(0, 2))).toEqual(lines(0, 2));
      // A retried append stores only what is new.
      expect(await threaded.logs.append(test.id, lines(1, 3))).toEqual(lines(2, 2));
      await threaded.stageQueue.updateStep(stage, test, { ...running(5), status: 'killed', finishedAt: 9 });
      await threaded.stageQueue.updateStep(stage, test, { ...running(5), status: 'success', finishedAt: 10 });
      await expect(threaded.logs.append(test.id + 1000, lines(0, 1))).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    } finally {
      await threaded.close();
      await thread.close();
    }
    expect(spawned).toBe(1);
    expect(await stepRow(stores, test)).toMatchObject({ status: 'killed', finishedAt: 9 });
    expect(await stores.logs.read(test.id)).toEqual(lines(0, 4));
    const feed = (await stores.changes.after(0, 100)).filter((row) => row.stepId === test.id);
    expect(feed.map((row) => `${row.kind} ${row.detail}`)).toEqual([
      'step running',
      'log 0',
      'log 2',
      'step killed',
    ]);
  });

  it('loses no answered write when the thread is terminated mid-stream, and starts a new thread for the next', async () => {
    const { test } = await seed(stores);
    const threads: Worker[] = [];
    const thread = createStoreThread(() => {
      const worker = new Worker(STORE_THREAD, { workerData: { url: stores.url, sync: 'normal' } });
      threads.push(worker);
      return worker;
    });
    const threaded = await openStores({ url: stores.url, migrate: false, thread });
    let answered = -1;
    const failures: unknown[] = [];
    try {
      const writes: Promise<void>[] = [];
      for (let chunk = 0; chunk < 400; chunk++) {
        writes.push(
          threaded.logs.append(test.id, lines(chunk * 10, 10)).then(
            () => {
              answered = Math.max(answered, chunk * 10 + 9);
            },
            (error: unknown) => void failures.push(error),
          ),
        );
        if (chunk === 200) await threads[0]?.terminate();
        else if (chunk % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(writes);
      expect(answered).toBeGreaterThan(0);
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) expect(failure).toMatchObject({ code: 'STORE_FAILED' });
      expect(threads).toHaveLength(2);
    } finally {
      await threaded.close();
      await thread.close();
    }
    expect(await stores.logs.lastLine(test.id)).toBeGreaterThanOrEqual(answered);
  });

  it('loses no answered write when its process is killed with SIGKILL mid-stream', async () => {
    const { stage, test } = await seed(stores);
    const script = `
      import { Worker } from 'node:worker_threads';
      import { createStoreThread, openStores } from ${JSON.stringify(`${REPO_ROOT}/sidecar/store/index.ts`)};
      const url = ${JSON.stringify(stores.url)};
      const thread = createStoreThread(() => new Worker(new URL(${JSON.stringify(STORE_THREAD.href)}), { workerData: { url, sync: 'normal' }, execArgv: [] }));
      const stores = await openStores({ url, migrate: false, thread });
      const stage = ${JSON.stringify(stage)};
      const step = ${JSON.stringify(test)};
      for (let n = 0; ; n++) {
        const lines = Array.from({ length: 5 }, (_, i) => ({ number: n * 5 + i, text: 'line ' + (n * 5 + i), time: 0 }));
        await stores.logs.append(step.id, lines);
        await stores.stageQueue.updateStep(stage, step, { status: 'running', exitCode: null, error: null, startedAt: n + 1, finishedAt: 0 });
        process.stdout.write(n + '\\n');
      }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_, signal) => resolve(signal)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.split('\n').length > 200) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`the writer exited before it was killed:\n${errors}`)));
    });
    expect(await exited).toBe('SIGKILL');
    const answered = Math.max(
      ...out
        .split('\n')
        .filter((line) => /^\d+$/.test(line))
        .map(Number),
    );
    expect(answered).toBeGreaterThanOrEqual(199);
    expect(await stores.logs.lastLine(test.id)).toBeGreaterThanOrEqual(answered * 5 + 4);
    expect((await stepRow(stores, test))?.startedAt).toBeGreaterThanOrEqual(answered + 1);
  });
});
