import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine, StageRunIds, StepLogKey } from '../../sidecar/core/index.ts';
import { createDockerRunner, createLogHub } from '../../sidecar/runner/index.ts';
import { createStoredLogSink } from '../../sidecar/store/index.ts';
import { createTestDocker, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { openTestStores } from '../support/stores.ts';
import { IMAGE, outcomes, quietLogger, runWith, stageFrom } from './stage-harness.ts';

const docker = createTestDocker();
const instance = testInstanceId('live-logs');
let stores: Awaited<ReturnType<typeof openTestStores>>;

beforeAll(async () => {
  await ensureBusyboxImage();
  stores = await openTestStores();
});
afterAll(async () => {
  await removeInstanceResources(docker, instance);
  await stores?.dispose();
});

/** Seconds since boot: the same clock inside a container and here, so a line can carry the time it was printed. */
function uptime(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
}

/** Prints `count` lines `line <i> <uptime> s3cr3t`, `pause` seconds apart. */
function printingStage(count: number, pause: number) {
  return stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: print
    image: ${IMAGE}
    commands:
      - for i in $(seq 1 ${count}); do echo "line $i $(cut -d' ' -f1 /proc/uptime) $TOKEN"; sleep ${pause}; done
    environment:
      TOKEN: { from_secret: token }
`);
}

let builds = 0;

function setup() {
  const hub = createLogHub({ store: stores.logs });
  const ids: StageRunIds = { instance, repo: 'octo/hello', build: `live-${++builds}`, stage: '1' };
  const key: StepLogKey = { repo: ids.repo, build: ids.build, stage: ids.stage, step: 'print' };
  const runner = createDockerRunner({ docker, logger: quietLogger });
  const run = (count: number, pause: number) =>
    runWith(runner, instance, printingStage(count, pause), {
      ids,
      logs: createStoredLogSink({ store: stores.logs, ids, live: hub }),
      secrets: { token: 's3cr3t' },
    });
  return { hub, key, run };
}

interface Received {
  line: LogLine;
  /** Seconds between the container printing the line and the reader receiving it; null for lines without a time. */
  latency: number | null;
  at: number;
}

async function collect(lines: AsyncIterable<LogLine>): Promise<Received[]> {
  const received: Received[] = [];
  for await (const line of lines) {
    const printed = /^line \d+ ([\d.]+) /.exec(line.text)?.[1];
    received.push({
      line,
      latency: printed === undefined ? null : uptime() - Number(printed),
      at: Date.now(),
    });
  }
  return received;
}

describe('step logs in the store and to live readers', () => {
  it('streams each line to a reader a fraction of a second after the container prints it, masked, once, in order', async () => {
    const { hub, key, run } = setup();
    const following = collect(hub.follow(key));
    const { result } = await run(6, 0.7);
    const received = await following;
    expect(outcomes(result)).toEqual({ print: 'success' });

    const stored = await stores.logs.read(key);
    expect(received.map(({ line }) => line)).toEqual(stored);
    expect(stored.map((line) => line.number)).toEqual(stored.map((_, index) => index));
    const printed = received.filter(({ latency }) => latency !== null);
    expect(printed.map(({ line }) => line.text.split(' ')[1])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(stored.map((line) => line.text).join('\n')).not.toContain('s3cr3t');
    expect(printed.every(({ line }) => line.text.endsWith(' ******'))).toBe(true);

    // Nominally ~0.1 s (the runner's flush interval) plus a write; the bound leaves room for a loaded machine
    // while a log delivered only at the end of the step (4 s later) would fail it by far.
    const latencies = printed.map(({ latency }) => latency ?? 0);
    expect(Math.max(...latencies)).toBeLessThan(1.0);
    const step = result.steps[0];
    expect(printed[0]?.at).toBeLessThan((step?.finishedAt ?? 0) - 3000);
  }, 60_000);

  it('gives a late reader what is stored, then live lines, without gaps or duplicates', async () => {
    const { hub, key, run } = setup();
    const running = run(8, 0.5);
    while ((await stores.logs.read(key)).filter((line) => line.text.startsWith('line ')).length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const received = await collect(hub.follow(key));
    const { result } = await running;
    expect(outcomes(result)).toEqual({ print: 'success' });
    const stored = await stores.logs.read(key);
    expect(received.map(({ line }) => line)).toEqual(stored);
    const printed = received.filter(({ latency }) => latency !== null);
    expect(printed.map(({ line }) => line.text.split(' ')[1])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
    ]);
    // The early lines came from the store (old by now); the last ones live.
    expect(printed.at(-1)?.latency).toBeLessThan(1.0);
    // After the end, a reader gets the stored log and stops.
    expect((await collect(hub.follow(key))).map(({ line }) => line)).toEqual(stored);
  }, 60_000);

  it('lets a reader that falls far behind catch up from the store instead of queueing without bound', async () => {
    const hub = createLogHub({ store: stores.logs, maxQueuedLines: 10 });
    const key: StepLogKey = { repo: 'octo/hello', build: 'slow-reader', stage: '1', step: 'print' };
    const sink = createStoredLogSink({
      store: stores.logs,
      ids: { instance, repo: key.repo, build: key.build, stage: key.stage },
      live: hub,
    });
    const reader = hub.follow(key)[Symbol.asyncIterator]();
    const first = reader.next();
    await sink.write('print', [{ number: 0, text: 'first', time: 0 }]);
    expect((await first).value).toMatchObject({ number: 0 });
    // The reader takes nothing while 500 lines arrive in chunks of 25.
    for (let from = 1; from <= 500; from += 25) {
      await sink.write(
        'print',
        Array.from({ length: 25 }, (_, index) => ({
          number: from + index,
          text: `l${from + index}`,
          time: 0,
        })),
      );
    }
    await sink.end?.('print');
    const numbers: number[] = [];
    for (let next = await reader.next(); !next.done; next = await reader.next())
      numbers.push(next.value.number);
    expect(numbers).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
  });
});
