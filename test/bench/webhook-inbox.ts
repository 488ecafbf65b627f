/**
 * Benchmark of POST /hook (issue 2): signed 8 KB deliveries per second and p50/p99 time to answer, for the
 * real sidecar (every delivery durably stored before its 202) beside two baselines measured in the same,
 * interleaved rounds: a bare Hono handler answering 202, and a verify-only handler. Prints the ratios.
 * Goals: sidecar >= 0.6 x verify-only throughput; p99 < 10 ms at a steady 1,000 deliveries/s.
 * Also the `busy` sidecar (issue 9): the same inbox while its own trigger turns every stored delivery into a
 * build (file from the Gogs double, changed paths from git, plan) and its queue runs their stages in containers
 * on the local dockerd; its ratio to the inbox alone says what building costs the webhooks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { signGogsPayload } from '../../sidecar/gogs/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { ensureBusyboxImage } from '../support/images.ts';
import { startGogsProcess } from './gogs-process.ts';
import { benchPayload } from './payload.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
// Long enough for the JIT and for the sidecar's WAL file to reach its working size (a fresh WAL grows the file).
const WARM_UP_SECONDS = 8;
const CONNECTIONS = 50;
const SECRET = 'bench-secret';
const KINDS = ['bare', 'verify', 'sidecar', 'busy'] as const;
type Kind = (typeof KINDS)[number];

const payload = benchPayload(8192);
const signature = signGogsPayload(payload.body, SECRET);

let deliveryCounter = 0;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  ok: number;
}

let busy: { body: Buffer; gogsId: number; signature: string; gogsInfo: string } | null = null;
const payloadOf = (kind: Kind) => (kind === 'busy' && busy ? busy : { ...payload, signature });

async function startServer(kind: Kind, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  // Every server runs with the young-generation size `npm start` gives the sidecar (fewer scavenges of 8 KB bodies).
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=32',
      join(import.meta.dirname, 'inbox-server.ts'),
      kind,
      dataDir,
      SECRET,
      String(payloadOf(kind).gogsId),
      ...(kind === 'busy' && busy ? [busy.gogsInfo] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { url, child };
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function load(url: string, seconds: number, overallRate?: number, kind: Kind = 'sidecar'): Promise<Run> {
  const { body, gogsId, signature } = payloadOf(kind);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/hook?repo=${gogsId}`,
        method: 'POST',
        connections: overallRate ? 20 : CONNECTIONS,
        duration: seconds,
        ...(overallRate ? { overallRate } : {}),
        body,
        headers: {
          'content-type': 'application/json',
          'x-gogs-event': 'push',
          'x-gogs-signature': signature,
          'user-agent': 'GogsServer',
        },
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, 'x-gogs-delivery': `bench-${process.pid}-${++deliveryCounter}` },
            }),
          },
        ],
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) return reject(error);
        resolve({
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          ok: result['2xx'],
        });
      },
    );
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const work = await mkdtemp(join(tmpdir(), 'drone-gogs-bench-'));
await ensureBusyboxImage();
// The Gogs double the busy sidecar builds from, in its own process.
const gogs = await startGogsProcess();
const busyBody = benchPayload(8192, { ...gogs.info, fullName: 'alice/app' });
busy = { ...busyBody, signature: signGogsPayload(busyBody.body, SECRET), gogsInfo: gogs.infoLine };
try {
  console.log(
    `webhook inbox: ${payload.body.length}-byte signed push deliveries, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s`,
  );
  const runs: Record<Kind, Run[]> = { bare: [], verify: [], sidecar: [], busy: [] };
  const ratios: { verify: number[]; bare: number[]; busy: number[] } = { verify: [], bare: [], busy: [] };
  const built = { builds: 0, stagesRun: 0, busyStored: 0 };
  let stored = 0;
  let sidecarAnswered = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of KINDS) {
      const dataDir = await mkdtemp(join(work, `${kind}-`));
      const server = await startServer(kind, dataDir);
      const warmUp = await load(server.url, WARM_UP_SECONDS, undefined, kind);
      const run = await load(server.url, SECONDS, undefined, kind);
      await stopServer(server.child);
      runs[kind].push(run);
      if (kind === 'sidecar') {
        const stores = await openStores({
          url: pathToFileURL(join(dataDir, 'drone-gogs.db')).href,
          migrate: false,
        });
        stored += (await stores.deliveries.list({ limit: 10_000_000 })).length;
        await stores.close();
        sidecarAnswered += warmUp.ok + run.ok;
      }
      if (kind === 'busy') {
        const stores = await openStores({
          url: pathToFileURL(join(dataDir, 'drone-gogs.db')).href,
          migrate: false,
        });
        built.busyStored += (await stores.deliveries.list({ limit: 10_000_000 })).length;
        const repo = await stores.repos.findByFullName('alice/app');
        const builds = repo ? await stores.builds.list(repo.id, { limit: 1_000_000 }) : [];
        built.builds += builds.length;
        built.stagesRun += builds.filter((build) => build.startedAt > 0).length;
        await stores.close();
      }
      process.stderr.write(
        `  round ${round} ${kind.padEnd(7)} ${Math.round(run.rps)} req/s p50 ${run.p50} ms p99 ${run.p99} ms${run.non2xx ? ` (${run.non2xx} non-2xx!)` : ''}\n`,
      );
    }
    const last = (kind: Kind) => runs[kind][runs[kind].length - 1]!.rps;
    ratios.verify.push(last('sidecar') / last('verify'));
    ratios.bare.push(last('sidecar') / last('bare'));
    ratios.busy.push(last('busy') / last('sidecar'));
  }

  const steady: Record<'verify' | 'sidecar', Run> = {} as never;
  for (const kind of ['verify', 'sidecar'] as const) {
    const server = await startServer(kind, await mkdtemp(join(work, `steady-${kind}-`)));
    await load(server.url, 2, 1000);
    steady[kind] = await load(server.url, SECONDS, 1000);
    await stopServer(server.child);
  }

  const row = (kind: Kind) => {
    const r = runs[kind];
    return `${kind.padEnd(8)} ${String(Math.round(median(r.map((x) => x.rps)))).padStart(7)} req/s   p50 ${median(r.map((x) => x.p50))} ms   p99 ${median(r.map((x) => x.p99))} ms`;
  };
  console.log(row('bare'));
  console.log(row('verify'));
  console.log(row('sidecar'));
  console.log(row('busy'));
  console.log(
    `ratio sidecar/verify-only: ${median(ratios.verify).toFixed(2)} (goal >= 0.60; per round ${ratios.verify.map((r) => r.toFixed(2)).join(', ')})`,
  );
  console.log(`ratio sidecar/bare hono:   ${median(ratios.bare).toFixed(2)}`);
  console.log(
    `ratio busy/inbox alone:    ${median(ratios.busy).toFixed(2)} (per round ${ratios.busy.map((r) => r.toFixed(2)).join(', ')}); while loaded the busy sidecar stored ${built.busyStored} deliveries, created ${built.builds} builds and started ${built.stagesRun} of them in containers`,
  );
  for (const kind of ['verify', 'sidecar'] as const) {
    const run = steady[kind];
    console.log(
      `steady 1,000 deliveries/s, ${kind.padEnd(7)}: ${Math.round(run.rps)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${kind === 'sidecar' ? ' (goal p99 < 10 ms)' : ''}`,
    );
  }
  // Requests still in flight when a run ends are stored but never counted as answered.
  const verdict = stored >= sidecarAnswered ? 'every answered delivery was stored' : 'DELIVERIES MISSING';
  console.log(`durability: ${stored} stored, ${sidecarAnswered} answered 2xx: ${verdict}`);
} finally {
  gogs.stop();
  await rm(work, { recursive: true, force: true });
}
