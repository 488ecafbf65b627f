/**
 * Benchmark of the hot writes beside each other (issue 9, "one write path"): log lines per second stored through
 * the stored log sink (4 steps, each writing 50-line chunks one after another, as the runner's back-pressure
 * does), and verified 8 KB deliveries per second stored through the threaded intake (64 at a time), each alone
 * and both at once, in the configuration `serve` uses for a local file. Prints what each loses to the other.
 * Runs on the tree before the one write path too (logs then went through @libsql/client in this thread).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LogLine, LogSink, Stores } from '../../sidecar/core/index.ts';
import * as store from '../../sidecar/store/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import {
  createThreadedIntake,
  type DeliveryIntake,
  type VerifiedDelivery,
} from '../../sidecar/webhooks/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { repoFacts } from '../support/stores.ts';
import { benchPayload } from './payload.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const STEPS = 4;
const LINES_PER_CHUNK = 50;
const DELIVERIES_AT_ONCE = 64;
const STORE_THREAD = new URL('../../sidecar/intake-thread.ts', import.meta.url);

const dir = await mkdtemp(join(tmpdir(), 'drone-gogs-bench-logs-'));
const url = pathToFileURL(join(dir, 'bench.db')).href;
const spawn = () =>
  new Worker(STORE_THREAD, { workerData: { url, sync: 'normal', backgroundCheckpoints: true } });

// As main.ts wires a local file: the store-writer thread for every hot write where the tree has it.
const onePath = 'createStoreThread' in store;
const thread = onePath ? store.createStoreThread(spawn) : null;
const stores = (await store.openStores({
  url,
  sync: 'normal',
  backgroundCheckpoints: true,
  ...(thread ? { thread } : {}),
})) as Stores;
const intake: DeliveryIntake = thread
  ? createThreadedIntake(thread)
  : (createThreadedIntake as unknown as (spawn: () => Worker) => DeliveryIntake)(spawn);
const checkpoints = store.startWalCheckpointer({ url, logger: silentLogger });

const repo = await stores.repos.upsertFacts(repoFacts('alice/app', 1));
const stepNames = Array.from({ length: STEPS }, (_, index) => `step-${index}`);
let buildKey = 0;
async function freshSink(): Promise<LogSink> {
  const { build } = await stores.builds.create(
    testBuild(repo.id, `bench:${buildKey++}`, {
      stages: [testStage(1, 'default', { steps: stepNames.map((name, index) => testStep(index + 1, name)) })],
    }),
  );
  const steps = (await stores.builds.get(build.id))?.stages[0]?.steps ?? [];
  return store.createStoredLogSink({
    store: stores.logs,
    stepIds: new Map(steps.map((s) => [s.name, s.id])),
  });
}

const { body, gogsId } = benchPayload(8192);
let deliveryCounter = 0;
const delivery = (): VerifiedDelivery => ({
  deliveryId: `bench-${deliveryCounter++}`,
  event: 'push',
  repoId: repo.id,
  gogsId,
  signed: body,
  headers: { 'X-Gogs-Event': 'push' },
});

const text = 'x'.repeat(72);
async function writeLogs(until: number): Promise<number> {
  const sink = await freshSink();
  const written = await Promise.all(
    stepNames.map(async (name) => {
      let next = 0;
      while (performance.now() < until) {
        const chunk: LogLine[] = Array.from({ length: LINES_PER_CHUNK }, (_, index) => ({
          number: next + index,
          text,
          time: 0,
        }));
        await sink.write(name, chunk);
        next += LINES_PER_CHUNK;
      }
      return next;
    }),
  );
  return written.reduce((sum, lines) => sum + lines, 0);
}

async function postDeliveries(until: number): Promise<number> {
  let stored = 0;
  await Promise.all(
    Array.from({ length: DELIVERIES_AT_ONCE }, async () => {
      while (performance.now() < until) {
        const outcome = await intake.take(delivery());
        if (outcome.outcome === 'accepted') stored++;
      }
    }),
  );
  return stored;
}

type Phase = 'logs' | 'deliveries' | 'both';
async function phase(kind: Phase): Promise<{ lines: number; deliveries: number }> {
  const start = performance.now();
  const until = start + SECONDS * 1000;
  const [lines, deliveries] = await Promise.all([
    kind === 'deliveries' ? 0 : writeLogs(until),
    kind === 'logs' ? 0 : postDeliveries(until),
  ]);
  const seconds = (performance.now() - start) / 1000;
  return { lines: lines / seconds, deliveries: deliveries / seconds };
}

console.log(
  `hot writes (${onePath ? 'one write path: the store-writer thread' : 'two writers: logs from this thread'}), ${ROUNDS} rounds of ${SECONDS} s`,
);
await phase('both'); // warm-up: JIT, the thread, the WAL at its working size
const results: Record<Phase, { lines: number; deliveries: number }[]> = {
  logs: [],
  deliveries: [],
  both: [],
};
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of ['logs', 'deliveries', 'both'] as const) {
    const result = await phase(kind);
    results[kind].push(result);
    console.log(
      `  round ${round} ${kind.padEnd(10)} ${Math.round(result.lines)} lines/s ${Math.round(result.deliveries)} deliveries/s`,
    );
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const perRound = (of: (round: number) => number) =>
  Array.from({ length: ROUNDS }, (_, round) => of(round).toFixed(2)).join(', ');
const logsAlone = median(results.logs.map((r) => r.lines));
const deliveriesAlone = median(results.deliveries.map((r) => r.deliveries));
console.log(
  `log lines alone: ${Math.round(logsAlone)}/s; deliveries alone: ${Math.round(deliveriesAlone)}/s`,
);
console.log(
  `ratio log lines with deliveries / alone: ${(median(results.both.map((r) => r.lines)) / logsAlone).toFixed(2)} (per round ${perRound((i) => results.both[i]!.lines / results.logs[i]!.lines)})`,
);
console.log(
  `ratio deliveries with log lines / alone: ${(median(results.both.map((r) => r.deliveries)) / deliveriesAlone).toFixed(2)} (per round ${perRound((i) => results.both[i]!.deliveries / results.deliveries[i]!.deliveries)})`,
);

await intake.close();
await stores.close();
await thread?.close();
await checkpoints.stop();
await rm(dir, { recursive: true, force: true });
