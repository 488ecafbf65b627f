/**
 * Benchmark of GET /auth/check (issue 10): what Caddy's forward_auth asks before every private page, with a
 * warm session cookie of a person who may read the repository, served by @hono/node-server on 127.0.0.1 and
 * driven by autocannon, beside a bare Hono app answering 204, in the same interleaved rounds. The person's
 * rights come from a fixed RepoAccessSource (no permission sync). Goals: throughput >= 0.5x the bare app;
 * p99 < 5 ms at a steady 500 requests/s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARM_UP_SECONDS = 4;
const CONNECTIONS = 50;
const STEADY_RATE = 500;
const URI = '/private/acme/app/builds/1/index.html';
const KINDS = ['bare', 'sidecar'] as const;
type Kind = (typeof KINDS)[number];

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

interface Server {
  url: string;
  cookie: string;
  child: ChildProcess;
}

async function startServer(kind: Kind, dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'auth-check-server.ts'), kind, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\S+) (\S+)/.exec(out);
      if (match) resolve({ url: match[1]!, cookie: match[2]!, child });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function load(server: Server, seconds: number, overallRate?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${server.url}/auth/check`,
        connections: overallRate ? 10 : CONNECTIONS,
        duration: seconds,
        ...(overallRate ? { overallRate } : {}),
        headers: { cookie: `drone_gogs_session=${server.cookie}`, 'x-forwarded-uri': URI },
      },
      (error: Error | null, result: autocannon.Result) => {
        if (error) return reject(error);
        resolve({
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
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

const work = await mkdtemp(join(tmpdir(), 'drone-gogs-bench-auth-'));
const servers: Partial<Record<Kind, Server>> = {};
try {
  for (const kind of KINDS) servers[kind] = await startServer(kind, work);
  console.log(
    `/auth/check with a warm session (rights from a fixed RepoAccessSource, no permission sync), ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s`,
  );
  for (const kind of KINDS) await load(servers[kind]!, WARM_UP_SECONDS);
  const runs: Record<Kind, Run[]> = { bare: [], sidecar: [] };
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of KINDS) {
      const run = await load(servers[kind]!, SECONDS);
      runs[kind].push(run);
      process.stderr.write(
        `  round ${round} ${kind.padEnd(7)} ${Math.round(run.rps)} req/s p50 ${run.p50} ms p99 ${run.p99} ms${run.non2xx ? ` (${run.non2xx} non-2xx!)` : ''}\n`,
      );
    }
    ratios.push(runs.sidecar.at(-1)!.rps / runs.bare.at(-1)!.rps);
  }
  const steady: Partial<Record<Kind, Run>> = {};
  for (const kind of KINDS) steady[kind] = await load(servers[kind]!, SECONDS, STEADY_RATE);

  for (const kind of KINDS) {
    const r = runs[kind];
    console.log(
      `${kind.padEnd(8)} ${String(Math.round(median(r.map((x) => x.rps)))).padStart(7)} req/s   p50 ${median(r.map((x) => x.p50))} ms   p99 ${median(r.map((x) => x.p99))} ms`,
    );
  }
  const ratio = median(ratios);
  console.log(
    `ratio /auth/check / bare hono: ${ratio.toFixed(2)} (goal >= 0.50 ${ratio >= 0.5 ? 'ok' : 'UNDER'}; per round ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  );
  for (const kind of KINDS) {
    const run = steady[kind]!;
    console.log(
      `steady ${STEADY_RATE} requests/s, ${kind.padEnd(7)}: ${Math.round(run.rps)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms${kind === 'sidecar' ? ` (goal p99 < 5 ms ${run.p99 < 5 ? 'ok' : 'OVER'})` : ''}${run.non2xx ? ` (${run.non2xx} non-2xx!)` : ''}`,
    );
  }
} finally {
  for (const server of Object.values(servers)) if (server) await stopServer(server.child);
  await rm(work, { recursive: true, force: true });
}
