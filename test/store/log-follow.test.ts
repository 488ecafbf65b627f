/**
 * Following a step's log from another process: two store handles on one database file stand for two sidecar
 * processes. The follower's hub learns of lines and of the step's end only from what the other handle stores
 * (the change feed and the rows); nothing is published to it in memory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogHub, LogLine, Stage, Step, Stores } from '../../sidecar/core/index.ts';
import { createLogHub } from '../../sidecar/runner/index.ts';
import { createStoredLogSink, openStores } from '../../sidecar/store/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

type TestStores = Awaited<ReturnType<typeof openTestStores>>;

const lines = (from: number, count: number): LogLine[] =>
  Array.from({ length: count }, (_, index) => ({
    number: from + index,
    text: `line ${from + index}`,
    time: 0,
  }));

/** Reads a follow in the background: what arrived so far, and whether it ended. */
function reading(follow: AsyncIterable<LogLine>) {
  const received: LogLine[] = [];
  let ended = false;
  const done = (async () => {
    for await (const line of follow) received.push(line);
    ended = true;
  })();
  return {
    received,
    done,
    ended: () => ended,
    /** Resolves once `count` lines arrived (the test's timeout bounds the wait). */
    async until(count: number) {
      while (received.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

describe('a step log followed in one process and written in another', () => {
  let follower: TestStores;
  let writer: Stores;
  let hub: LogHub;
  let stage: Stage;
  let steps: Map<string, Step>;

  beforeEach(async () => {
    follower = await openTestStores();
    writer = await openStores({ url: follower.url, sync: 'normal' });
    const repo = await writer.repos.upsertFacts(repoFacts('alice/app', 1));
    const { build } = await writer.builds.create(
      testBuild(repo.id, 'hook:1', {
        stages: [
          testStage(1, 'default', {
            status: 'running',
            steps: [testStep(1, 'test'), testStep(2, 'deploy'), testStep(3, 'notify')],
          }),
        ],
      }),
    );
    const found = await writer.builds.get(build.id);
    const row = found?.stages[0];
    if (row === undefined) throw new Error('no stage stored');
    stage = row;
    steps = new Map(row.steps.map((step) => [step.name, step]));
    hub = createLogHub({ store: follower.logs, changes: follower.changes, pollMs: 20 });
  });
  afterEach(async () => {
    await writer.close();
    await follower.dispose();
  });

  const step = (name: string): Step => {
    const found = steps.get(name);
    if (found === undefined) throw new Error(`no step ${name}`);
    return found;
  };
  const writerSink = () =>
    createStoredLogSink({
      store: writer.logs,
      stepIds: new Map([...steps.values()].map((each) => [each.name, each.id])),
    });
  const setStatus = (name: string, status: 'running' | 'success' | 'failure') =>
    writer.stageQueue.updateStep(stage, step(name), {
      status,
      exitCode: status === 'running' ? null : status === 'success' ? 0 : 1,
      error: null,
      startedAt: 1,
      finishedAt: status === 'running' ? 0 : 2,
    });

  it('gets every line the other process stores, once and in order, and ends when the stored status is final', async () => {
    const sink = writerSink();
    await setStatus('test', 'running');
    await sink.write('test', lines(0, 3));
    const read = reading(hub.follow(step('test').id));
    await read.until(3);
    // Lines stored after the follow began arrive too, and a retried write adds nothing.
    await sink.write('test', lines(3, 2));
    await sink.write('test', lines(0, 5));
    await read.until(5);
    await sink.end?.('test');
    // The writer's log ended, but this process hears only of stored things: the step still runs.
    expect(read.ended()).toBe(false);
    await setStatus('test', 'success');
    await read.done;
    expect(read.received).toEqual(lines(0, 5));
    expect(read.received).toEqual(await follower.logs.read(step('test').id));
  });

  it('gives a step that ended elsewhere, or before this process started, its stored log and ends', async () => {
    await writerSink().write('deploy', lines(0, 4));
    await setStatus('deploy', 'failure');
    const read = reading(hub.follow(step('deploy').id));
    await read.done;
    expect(read.received).toEqual(lines(0, 4));
    const unknown = reading(hub.follow(step('deploy').id + 1000));
    await unknown.done;
    expect(unknown.received).toEqual([]);
  });

  it('ends when the other process abandons the stage, which ends its steps without a step entry in the feed', async () => {
    await setStatus('notify', 'running');
    await writerSink().write('notify', lines(0, 2));
    const read = reading(hub.follow(step('notify').id));
    await read.until(2);
    expect(read.ended()).toBe(false);
    await writer.stageQueue.abandon(stage, 'the process running this stage stopped', 3);
    await read.done;
    expect(read.received).toEqual(lines(0, 2));
    expect((await follower.builds.get(stage.buildId))?.stages[0]?.steps.map((each) => each.status)).toEqual([
      'skipped',
      'skipped',
      'error',
    ]);
  });

  it('stops at once when the reader aborts, though the step still runs', async () => {
    await setStatus('test', 'running');
    const abort = new AbortController();
    const read = reading(hub.follow(step('test').id, { signal: abort.signal }));
    await writerSink().write('test', lines(0, 1));
    await read.until(1);
    abort.abort();
    await read.done;
    expect(read.received).toEqual(lines(0, 1));
  });
});
