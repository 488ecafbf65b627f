import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine, StageRunIds } from '../../sidecar/core/index.ts';
import { createDockerRunner, createLogHub } from '../../sidecar/runner/index.ts';
import { createStoredLogSink } from '../../sidecar/store/index.ts';
import { createTestDocker, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { openTestStores } from '../support/stores.ts';
import { IMAGE, outcomes, quietLogger, runWith, stageFrom } from './stage-harness.ts';
import { storeSteps } from './stored-steps.ts';

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

/**
 * Prints `line <i> s3cr3t` for i in 1..count. From line `waitFrom` on, the step waits after each line until the
 * test has touched /tmp/ack-<i> inside its container, which the test does only on receiving that line from a
 * live reader: the step can succeed only if each of those lines reached the reader while the step still ran.
 * Without an acknowledgement within 60 s the step fails.
 */
function handshakeStage(count: number, waitFrom: number) {
  return stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: print
    image: ${IMAGE}
    commands:
      - >-
        for i in $(seq 1 ${count}); do echo "line $i $TOKEN";
        if [ $i -ge ${waitFrom} ]; then n=0; until [ -e /tmp/ack-$i ]; do
        n=$((n+1)); if [ $n -gt 1200 ]; then echo "no ack for line $i"; exit 3; fi; sleep 0.05; done; fi; done
    environment:
      TOKEN: { from_secret: token }
`);
}

let builds = 0;

async function setup() {
  const hub = createLogHub({ store: stores.logs, changes: stores.changes });
  const ids: StageRunIds = { instance, repo: 'octo/hello', build: `live-${++builds}`, stage: '1' };
  const steps = await storeSteps(stores, ['print']);
  const key = steps.idOf('print');
  const runner = createDockerRunner({ docker, logger: quietLogger });
  const run = (count: number, waitFrom: number) =>
    runWith(runner, instance, handshakeStage(count, waitFrom), {
      ids,
      logs: createStoredLogSink({ store: stores.logs, stepIds: steps.stepIds, live: hub }),
      statuses: steps.statuses,
      secrets: { token: 's3cr3t' },
    });
  /** Touches /tmp/ack-<n> in the running step container of this build. */
  const acknowledge = async (n: string) => {
    const filters = JSON.stringify({
      label: [`io.drone-gogs.build=${ids.build}`, 'io.drone-gogs.step=print'],
    });
    const [info] = await docker.listContainers({ filters });
    if (info === undefined) throw new Error(`no running step container to acknowledge line ${n}`);
    const exec = await docker.getContainer(info.Id).exec({ Cmd: ['touch', `/tmp/ack-${n}`] });
    const stream = await exec.start({});
    stream.resume();
    await new Promise((resolve) => stream.on('end', resolve));
  };
  return { hub, key, run, acknowledge };
}

/** Reads every line, acknowledging each `line <i>` with i >= waitFrom as it arrives. */
async function followAndAcknowledge(
  lines: AsyncIterable<LogLine>,
  waitFrom: number,
  acknowledge: (n: string) => Promise<void>,
): Promise<LogLine[]> {
  const received: LogLine[] = [];
  for await (const line of lines) {
    received.push(line);
    const n = /^line (\d+) /.exec(line.text)?.[1];
    if (n !== undefined && Number(n) >= waitFrom) await acknowledge(n);
  }
  return received;
}

const printedNumbers = (lines: LogLine[]) =>
  lines.filter((line) => line.text.startsWith('line ')).map((line) => line.text.split(' ')[1]);

describe('step logs in the store and to live readers', () => {
  it('streams each line to a reader while the step runs, masked, once, in order', async () => {
    const { hub, key, run, acknowledge } = await setup();
    const following = followAndAcknowledge(hub.follow(key), 1, acknowledge);
    const { result } = await run(5, 1);
    const received = await following;
    // Each line was acknowledged from what the reader received, before the step printed the next one.
    expect(outcomes(result)).toEqual({ print: 'success' });

    const stored = await stores.logs.read(key);
    expect(received).toEqual(stored);
    expect(stored.map((line) => line.number)).toEqual(stored.map((_, index) => index));
    expect(printedNumbers(received)).toEqual(['1', '2', '3', '4', '5']);
    expect(stored.map((line) => line.text).join('\n')).not.toContain('s3cr3t');
    expect(
      received.filter((line) => line.text.startsWith('line ')).every((line) => line.text.endsWith(' ******')),
    ).toBe(true);
  }, 120_000);

  it('gives a late reader what is stored, then live lines, without gaps or duplicates', async () => {
    const { hub, key, run, acknowledge } = await setup();
    // Lines 1-3 are printed at once; from line 4 on the step waits for a reader.
    const running = run(8, 4);
    while (!(await stores.logs.read(key)).some((line) => line.text.startsWith('line 4 '))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const received = await followAndAcknowledge(hub.follow(key), 4, acknowledge);
    const { result } = await running;
    // Lines 5-8 were printed only after the late reader had line 4 and on: they reached it live.
    expect(outcomes(result)).toEqual({ print: 'success' });
    const stored = await stores.logs.read(key);
    expect(received).toEqual(stored);
    expect(printedNumbers(received)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    // Once the step's stored status is final, a reader gets the stored log and stops.
    expect(await followAndAcknowledge(hub.follow(key), Infinity, acknowledge)).toEqual(stored);
  }, 120_000);

  it('lets a reader that falls far behind catch up from the store instead of queueing without bound', async () => {
    const hub = createLogHub({ store: stores.logs, changes: stores.changes, maxQueuedLines: 10 });
    const steps = await storeSteps(stores, ['print']);
    const sink = createStoredLogSink({ store: stores.logs, stepIds: steps.stepIds, live: hub });
    const key = steps.idOf('print');
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
