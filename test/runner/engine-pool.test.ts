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
  it('reads each engine platform and places stages where there is room, never above capacity, never waiting', async () => {
    const pool = createPool();
    await until(() => pool.engines().every((engine) => engine.up), 'both engines up');
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    expect(pool.engines().map((engine) => engine.platform)).toEqual([
      { os: 'linux', arch },
      { os: 'linux', arch },
    ]);
    const stage = stageFrom(pipeline(['sleep 1', 'echo done']));
    const runs = Promise.all([1, 2].map(() => runWith(pool, instance, stage)));
    await until(() => pool.engines().every((engine) => engine.running === 1), 'one stage on each engine');
    // Both engines are full: a third stage is refused at once instead of waiting (the queue keeps it pending).
    const third = await runWith(pool, instance, stage);
    expect(third.result.outcome).toBe('error');
    expect(third.result.error).toBe(`no Docker engine for linux/${arch} that answers has room now`);
    expect(third.statuses.of('work')).toEqual(['pending', 'skipped']);
    for (const { result, logs } of await runs) {
      expect(outcomes(result)).toEqual({ work: 'success' });
      expect(logs.text('work')).toContain('done');
    }
    expect(new Set((await runs).map(({ result }) => result.engine))).toEqual(new Set(['local', 'second']));
    expect(pool.engines().map((engine) => engine.running)).toEqual([0, 0]);
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

  it('runs a stage on the engine it names at once, and refuses one that is full, does not fit or does not exist', async () => {
    const pool = createPool();
    await until(() => pool.engines().every((engine) => engine.up), 'both engines up');
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const anywhere = stageFrom(pipeline(['echo here']));
    const named = await runWith(pool, instance, anywhere, { engine: 'second' });
    expect(named.result).toMatchObject({ outcome: 'success', engine: 'second' });
    expect(named.logs.text('work')).toContain('here');

    const busy = runWith(pool, instance, stageFrom(pipeline(['sleep 3'])), { engine: 'local' });
    await until(() => pool.engines()[0]?.running === 1, 'the local engine busy');
    const full = await runWith(pool, instance, anywhere, { engine: 'local' });
    expect(full.result).toMatchObject({
      outcome: 'error',
      error: 'Docker engine "local" is full (1 stage(s) at once)',
    });
    expect(full.statuses.of('work')).toEqual(['pending', 'skipped']);
    const unfit = await runWith(pool, instance, stageFrom(pipeline(['true'], 'node: { disk: second }')), {
      engine: 'local',
    });
    expect(unfit.result.error).toBe(
      `Docker engine "local" cannot run a stage for linux/${arch} with labels disk=second`,
    );
    const unknown = await runWith(pool, instance, anywhere, { engine: 'elsewhere' });
    expect(unknown.result.error).toBe('there is no Docker engine "elsewhere" here (engines: local, second)');
    expect((await busy).result).toMatchObject({ outcome: 'success', engine: 'local' });
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

    // While it is down, a stage only it can run is refused (the queue keeps such a stage pending); others go to
    // the engine that answers.
    const onlySecond = stageFrom(pipeline(['echo back'], 'node: { disk: second }'));
    const refused = await runWith(pool, instance, onlySecond);
    expect(refused.result.error).toMatch(
      /^no Docker engine for linux\/\w+ with labels disk=second that answers has room now$/,
    );
    expect((await runWith(pool, instance, onlySecond, { engine: 'second' })).result.error).toMatch(
      /^Docker engine "second" does not answer: /,
    );
    const meanwhile = await runWith(pool, instance, anywhere);
    expect(meanwhile.result.engine).toBe('local');

    await second.start();
    await until(() => pool.engines()[1]?.up === true, 'the second engine back');
    const back = await runWith(pool, instance, onlySecond);
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
