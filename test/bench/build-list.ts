/**
 * `node test/bench/build-list.ts`: `drone-gogs build ls` as the build service answers it (repository by name, a
 * page of builds, the Drone-shaped view) over a libSQL file holding 100,000 builds of one repository and 5,000 of
 * another, beside the baseline of the bare query through @libsql/client on the same file, measured in alternating
 * calls. Goal: p99 under 10 ms for the first page and for filtered pages. Also shown: the query plans, the
 * filters that scan far (a rare branch), deep pages, and what a per-filter index would change.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import Database from 'libsql';
import { createBuildService } from '../../sidecar/builds/index.ts';
import { type BuildListQuery, LOCAL_ADMIN } from '../../sidecar/core/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { repoFacts, testAuditLog, testAuthorizer } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const BUILDS = 100_000;
const OTHER_BUILDS = 5_000;
const WARMUP = 50;
/** Calls of each case held to the goal; the others get 200. */
/** Calls of each case held to the goal; the others get 200. */
const CALLS = 400;
const GOAL_P99_MS = 10;

/** Per build number: 2% tags, 1 in 7 pull requests; 78% into master, 22% develop, 1 in 10,000 hotfix. */
function shape(number: number) {
  const event = number % 50 === 0 ? 'tag' : number % 7 === 0 ? 'pull_request' : 'push';
  const target = number % 10_000 === 0 ? 'hotfix' : number % 9 < 2 ? 'develop' : 'master';
  const status = number % 13 === 0 ? 'failure' : 'success';
  return { event, target, status };
}

/** The builds through libSQL's native driver: one transaction, one prepared statement, about a second. */
function seed(path: string, repos: { id: number; count: number }[]): number {
  const start = performance.now();
  const db = new Database(path);
  const columns = [
    'repo_id',
    'number',
    'idempotency_key',
    'creation_token',
    'status',
    'event',
    'ref',
    'source',
    'target',
    'before',
    'after',
    'message',
    'author_login',
    'author_name',
    'author_email',
    'sender',
    'config_sha256',
    'created_at',
    'updated_at',
    'started_at',
    'finished_at',
  ];
  const insert = db.prepare(
    `insert into builds (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
  );
  const at = Date.now() - 365 * 24 * 3600 * 1000;
  db.exec('BEGIN IMMEDIATE');
  for (const repo of repos) {
    for (let number = 1; number <= repo.count; number++) {
      const { event, target, status } = shape(number);
      const created = at + number * 60_000;
      insert.run(
        repo.id,
        number,
        `bench:${repo.id}:${number}`,
        randomUUID(),
        status,
        event,
        event === 'tag' ? `refs/tags/v${number}` : `refs/heads/${target}`,
        target,
        target,
        number.toString(16).padStart(40, '0'),
        (number + 1).toString(16).padStart(40, '0'),
        `Fix the thing that broke in build ${number - 1}\n\nA longer body, as commit messages have.`,
        'alice',
        'Alice Example',
        'alice@example.com',
        'alice',
        'e'.repeat(64),
        created,
        created + 90_000,
        created + 1_000,
        created + 90_000,
      );
    }
    db.prepare('update repos set build_counter = ? where id = ?').run(repo.count, repo.id);
  }
  db.exec('COMMIT');
  db.close();
  return performance.now() - start;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

interface Case {
  name: string;
  query: BuildListQuery;
  /** The bare query the service's answer is compared with: the same rows, no repository lookup, no view. */
  sql: string;
  args: (string | number)[];
  /** Held to the goal; the others are shown for what they cost. */
  goal: boolean;
}

const BARE = 'select * from builds where repo_id = ?';
const ORDER = 'order by number desc limit 25';

function cases(repoId: number): Case[] {
  return [
    { name: 'first page', query: {}, sql: `${BARE} ${ORDER}`, args: [repoId], goal: true },
    {
      name: '--event tag',
      query: { event: 'tag' },
      sql: `${BARE} and event = ? ${ORDER}`,
      args: [repoId, 'tag'],
      goal: true,
    },
    {
      name: '--branch develop',
      query: { branch: 'develop' },
      sql: `${BARE} and target = ? ${ORDER}`,
      args: [repoId, 'develop'],
      goal: true,
    },
    {
      name: '--event tag --branch master',
      query: { event: 'tag', branch: 'master' },
      sql: `${BARE} and event = ? and target = ? ${ORDER}`,
      args: [repoId, 'tag', 'master'],
      goal: true,
    },
    {
      name: '--branch hotfix (10 builds in 100,000)',
      query: { branch: 'hotfix' },
      sql: `${BARE} and target = ? ${ORDER}`,
      args: [repoId, 'hotfix'],
      goal: false,
    },
    {
      name: '--page 40 (skips 975 builds)',
      query: { page: 40 },
      sql: `${BARE} ${ORDER} offset 975`,
      args: [repoId],
      goal: false,
    },
  ];
}

interface Measured {
  service: { p50: number; p99: number };
  bare: { p50: number; p99: number };
  /** Median of the per-call ratios service / bare. */
  ratio: number;
  rows: number;
}

/** The service and the bare query in alternating calls, so both see the same machine. */
async function measure(
  list: (query: BuildListQuery) => Promise<unknown[]>,
  client: Client,
  each: Case,
  calls = CALLS,
): Promise<Measured> {
  const service: number[] = [];
  const bare: number[] = [];
  const ratios: number[] = [];
  let rows = 0;
  for (let call = 0; call < WARMUP + calls; call++) {
    let start = performance.now();
    const listed = await list(each.query);
    const serviceMs = performance.now() - start;
    start = performance.now();
    const result = await client.execute({ sql: each.sql, args: each.args });
    const bareMs = performance.now() - start;
    if (listed.length !== result.rows.length)
      throw new Error(
        `${each.name}: the service listed ${listed.length}, the bare query ${result.rows.length}`,
      );
    if (call < WARMUP) continue;
    rows = listed.length;
    service.push(serviceMs);
    bare.push(bareMs);
    ratios.push(serviceMs / bareMs);
  }
  return {
    service: { p50: percentile(service, 0.5), p99: percentile(service, 0.99) },
    bare: { p50: percentile(bare, 0.5), p99: percentile(bare, 0.99) },
    ratio: percentile(ratios, 0.5),
    rows,
  };
}

function report(each: Case, measured: Measured): string {
  const { service, bare, ratio, rows } = measured;
  const verdict = each.goal
    ? ` (goal p99 < ${GOAL_P99_MS} ms) ${service.p99 < GOAL_P99_MS ? 'ok' : 'OVER'}`
    : '';
  return `${each.name.padEnd(40)} ${String(rows).padStart(3)} rows   service p50 ${service.p50.toFixed(2)} ms p99 ${service.p99.toFixed(2)} ms   bare p50 ${bare.p50.toFixed(2)} ms p99 ${bare.p99.toFixed(2)} ms   ratio ${ratio.toFixed(2)}x${verdict}`;
}

async function queryPlan(client: Client, each: Case): Promise<string> {
  const plan = await client.execute({ sql: `explain query plan ${each.sql}`, args: each.args });
  return plan.rows.map((row) => `    ${String(row.detail)}`).join('\n');
}

const dir = await makeTempDir('drone-gogs-bench-builds-');
try {
  const path = join(dir.path, 'builds.db');
  const url = pathToFileURL(path).href;
  const stores = await openStores({ url, sync: 'normal' });
  const repo = await stores.repos.upsertFacts(repoFacts('octo/big', 1));
  const other = await stores.repos.upsertFacts(repoFacts('octo/small', 2));
  const seedMs = seed(path, [
    { id: repo.id, count: BUILDS },
    { id: other.id, count: OTHER_BUILDS },
  ]);
  console.log(
    `seeded ${BUILDS.toLocaleString('en')} builds of octo/big and ${OTHER_BUILDS.toLocaleString('en')} of octo/small in ${(seedMs / 1000).toFixed(1)} s`,
  );
  // The policy as serve asks it: the box's admin, no rights to look up.
  const authorizer = testAuthorizer(testAuditLog(stores));
  const service = createBuildService({
    builds: stores.builds,
    repos: stores.repos,
    logs: stores.logs,
    authorizer,
  });
  const list = (query: BuildListQuery) => service.list(LOCAL_ADMIN, 'octo/big', query);
  const client = createClient({ url });
  try {
    console.log(
      `${CALLS} calls of each goal case, 200 of the others, after ${WARMUP} to warm up; service = BuildService.list over the real stores, bare = the same rows through @libsql/client`,
    );
    const all = cases(repo.id);
    const overs: string[] = [];
    for (const each of all) {
      const measured = await measure(list, client, each, each.goal ? CALLS : 200);
      console.log(report(each, measured));
      if (each.goal && measured.service.p99 >= GOAL_P99_MS) overs.push(each.name);
    }

    console.log('\nquery plans of the bare queries (the store asks the same):');
    for (const each of all) console.log(`  ${each.name}\n${await queryPlan(client, each)}`);

    if (overs.length > 0) console.log(`\nOVER the goal: ${overs.join(', ')}`);
  } finally {
    client.close();
    await stores.close();
  }
} finally {
  await dir.remove();
}
