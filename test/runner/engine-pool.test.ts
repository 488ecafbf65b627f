import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerPool } from '../../sidecar/core/index.ts';
import { createRunnerPool } from '../../sidecar/runner/index.ts';
import { createTestDocker, leftovers, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { startTestEngine, type TestEngine } from '../support/docker-engine.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { IMAGE, MemoryLogs, outcomes, quietLogger, runWith, stageFrom } from './stage-harness.ts';

const local = createTestDocker();
const instance = testInstanceId('pool');
let second: TestEngine;
const pools: RunnerPool[] = [];

beforeAll(async () => {
  await ensureBusyboxImage();
  second = await startTestEngine();
}, 120_000);
afterAll(async () => {
  for (const pool of pools) pool.close();
  await removeInstanceResources(local, instance);
  await second?.dispose();
}, 120_000);

/** `local` takes any stage; `second` is the only engine labelled `disk: second`. One stage at a time each. */
function createPool(): RunnerPool {
  const pool = createRunnerPool({
    engines: [
      { name: 'local', docker: local, capacity: 1 },
      { name: 'second', docker: second.docker, capacity: 1, labels: { disk: 'second' } },
    ],
    logger: quietLogger,
    pool: { healthIntervalMs: 200, backoffMinMs: 100, backoffMaxMs: 400, pingTimeoutMs: 2_000 },
  });
  pools.push(pool);
  return pool;
}

function pipeline(commands: string[], extra = ''): string {
  return `
kind: pipeline
name: default
clone: { disable: true }
${extra}
steps:
  - name: work
    image: ${IMAGE}
    commands: ${JSON.stringify(commands)}
`;
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('runner pool over two Docker engines', () => {
  it('reads each engine platform and places stages where there is room, never above capacity', async () => {
    const pool = createPool();
    await until(() => pool.engines().every((engine) => engine.up), 'both engines up');
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    expect(pool.engines().map((engine) => engine.platform)).toEqual([
      { os: 'linux', arch },
      { os: 'linux', arch },
    ]);
    let peak = 0;
    let peakPerEngine = 0;
    const sampler = setInterval(() => {
      const engines = pool.engines();
      peak = Math.max(
        peak,
        engines.reduce((sum, engine) => sum + engine.running, 0),
      );
      peakPerEngine = Math.max(peakPerEngine, ...engines.map((engine) => engine.running));
    }, 20);
    const stage = stageFrom(pipeline(['sleep 1', 'echo done']));
    const runs = await Promise.all([1, 2, 3].map(() => runWith(pool, instance, stage)));
    clearInterval(sampler);
    for (const { result, logs } of runs) {
      expect(outcomes(result)).toEqual({ work: 'success' });
      expect(logs.text('work')).toContain('done');
    }
    expect(new Set(runs.map(({ result }) => result.engine))).toEqual(new Set(['local', 'second']));
    expect(peak).toBe(2);
    expect(peakPerEngine).toBe(1);
    // The third stage waited for one of the first two.
    const [first, next, third] = runs.map(({ result }) => result).sort((a, b) => a.startedAt - b.startedAt);
    expect(third?.startedAt).toBeGreaterThanOrEqual(
      Math.min(first?.finishedAt ?? 0, next?.finishedAt ?? 0) - 50,
    );
  }, 60_000);

  it('ends a stage no engine can run as error at once, naming what it needs and what there is', async () => {
    const pool = createPool();
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const arm = stageFrom(pipeline(['true'], 'platform: { os: linux, arch: s390x }'));
    const { result, statuses } = await runWith(pool, instance, arm);
    expect(result.outcome).toBe('error');
    expect(result.error).toBe(
      `no Docker engine for linux/s390x (engines: local linux/${arch}, second linux/${arch})`,
    );
    expect(statuses.of('work')).toEqual(['pending', 'skipped']);
    const labelled = stageFrom(pipeline(['true'], 'node: { disk: nowhere }'));
    const other = await runWith(pool, instance, labelled);
    expect(other.result.error).toMatch(
      /^no Docker engine for linux\/amd64 with labels disk=nowhere \(engines: /,
    );
  });

  it('gives up waiting for room at the stage timeout, and stops waiting when cancelled', async () => {
    const pool = createPool();
    const busy = runWith(pool, instance, stageFrom(pipeline(['sleep 3'], 'node: { disk: second }')));
    await until(() => pool.engines()[1]?.running === 1, 'the second engine busy');
    const queued = stageFrom(pipeline(['true'], 'node: { disk: second }'));
    const late = await runWith(pool, instance, queued, { timeoutMs: 1_000 });
    expect(late.result.outcome).toBe('error');
    expect(late.result.error).toBe(
      'no Docker engine for linux/amd64 with labels disk=second had room within 1 s',
    );
    expect(late.statuses.of('work')).toEqual(['pending', 'skipped']);
    const controller = new AbortController();
    const cancelled = runWith(pool, instance, queued, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect((await cancelled).result).toMatchObject({ outcome: 'killed', error: 'cancelled' });
    expect((await busy).result.outcome).toBe('success');
  }, 30_000);

  it('recovers a dead stage on the engine that holds it, and says so when no engine does', async () => {
    const pool = createPool();
    await until(() => pool.engines().every((engine) => engine.up), 'both engines up');
    const ids = { instance: `${instance}-dead`, repo: 'octo/hello', build: 'orphan', stage: '1' };
    const orphan = await second.docker.createContainer({
      Image: IMAGE,
      Cmd: ['sh', '-c', 'sleep 1; echo finished'],
      Labels: {
        'io.drone-gogs.instance': ids.instance,
        'io.drone-gogs.repo': ids.repo,
        'io.drone-gogs.build': ids.build,
        'io.drone-gogs.stage': ids.stage,
        'io.drone-gogs.step': 'work',
      },
    });
    await orphan.start();
    const logs = new MemoryLogs();
    const recovery = {
      ids,
      stage: stageFrom(pipeline(['true'])),
      secrets: {},
      logs,
      statuses: { step() {} },
      mode: 'follow' as const,
    };
    const result = await pool.recoverStage(recovery);
    expect(result.engine).toBe('second');
    expect(result.outcome).toBe('success');
    expect(logs.text('work')).toContain('finished');
    expect(await leftovers(second.docker, ids.instance)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
    const again = await pool.recoverStage(recovery);
    expect(again.outcome).toBe('error');
    expect(again.error).toMatch(/nothing of the stage is left on the Docker engines that answer$/);
  });

  it('fails the stages of an engine that goes away, keeps the other working, and skips it until it is back', async () => {
    const pool = createPool();
    await until(() => pool.engines().every((engine) => engine.up), 'both engines up');
    const onSecond = stageFrom(pipeline(['echo started', 'sleep 60'], 'node: { disk: second }'));
    const anywhere = stageFrom(pipeline(['sleep 2', 'echo fine']));

    const logs = new MemoryLogs();
    const doomed = runWith(pool, instance, onSecond, { logs });
    const survivor = runWith(pool, instance, anywhere);
    await until(() => logs.text('work').includes('started'), 'the step on the second engine to print');
    await second.kill();

    const lost = await doomed;
    expect(lost.result.outcome).toBe('error');
    expect(lost.result.engine).toBe('second');
    expect(lost.result.error).toMatch(/^Docker engine "second" stopped answering during the stage: /);
    const kept = await survivor;
    expect(kept.result.outcome).toBe('success');
    expect(kept.result.engine).toBe('local');
    await until(() => pool.engines()[1]?.up === false, 'the second engine marked down');
    expect(pool.engines()[1]?.lastError).toMatch(/ECONNREFUSED|ENOENT/);

    // While it is down, a stage only it can run waits; others go to the engine that answers.
    const waiting = runWith(pool, instance, stageFrom(pipeline(['echo back'], 'node: { disk: second }')));
    let waited = false;
    void waiting.then(() => {
      waited = true;
    });
    const meanwhile = await runWith(pool, instance, anywhere);
    expect(meanwhile.result.engine).toBe('local');
    expect(waited).toBe(false);

    await second.start();
    const back = await waiting;
    expect(back.result.outcome).toBe('success');
    expect(back.result.engine).toBe('second');
    expect(back.logs.text('work')).toContain('back');
    // What the lost stage left on the engine is removed once the engine answers again.
    const deadline = Date.now() + 20_000;
    let left = await leftovers(second.docker, instance);
    while (left.containers.length + left.networks.length + left.volumes.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = await leftovers(second.docker, instance);
    }
    expect(left).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);
});
