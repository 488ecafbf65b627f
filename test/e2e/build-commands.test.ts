/** `drone-gogs build ls` and `build info` in process, over a real database file seeded through the stores. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import type { BuildOrigin, NewBuild, Stores } from '../../sidecar/core/index.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { testBuild, testOrigin, testStage, testStep } from '../support/builds.ts';
import { runCommand } from '../support/run-command.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/** What a pusher may put in a commit message: colours, a screen clear, a forged line, a bidi override. */
const HOSTILE_MESSAGE = 'fix \u001b[31mred\u001b[0m\nStatus: success\r\u001b[2J\u009b1m\u202eevil\u0007';
const HOSTILE_BRANCH = 'feat/\u001b]0;owned\u0007x';
const HOSTILE_AUTHOR = 'mallory\u001b[1A';
/** Nothing of these may reach the terminal raw. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const origin = (change: Partial<BuildOrigin> = {}): BuildOrigin =>
  testOrigin({ after: '1234567890abcdef1234567890abcdef12345678', message: 'first', ...change });

const build = (repoId: number, key: string, change: Partial<BuildOrigin>): NewBuild =>
  testBuild(repoId, key, {
    origin: origin(change),
    stages: [
      testStage(1, 'default', {
        steps: [
          testStep(1, 'clone', { image: 'drone/git' }),
          testStep(2, 'test\u001b[8m', { dependsOn: ['clone'] }),
        ],
      }),
    ],
  });

const DIGEST = `sha256:${'d'.repeat(64)}`;

/** A database file in a fresh folder, seeded through the stores with octo/hello (Gogs id 7) and what `seed` adds. */
async function seededDatabase(seed: (stores: Stores, repoId: number) => Promise<void>) {
  const dir = await makeTempDir();
  const url = pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href;
  const stores = await openStores({ url });
  try {
    await seed(stores, (await stores.repos.upsertFacts(repoFacts('octo/hello', 7))).id);
  } finally {
    await stores.close();
  }
  return { dir, url };
}

describe('drone-gogs build ls and build info', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let url: string;
  const cli = (...args: string[]) => runCommand(runCli, ['build', ...args], { cwd: dir.path, env: {} });

  beforeEach(async () => {
    ({ dir, url } = await seededDatabase(async (stores, repoId) => {
      const repo = { id: repoId };
      const other = await stores.repos.upsertFacts(repoFacts('octo/other', 8));
      await stores.builds.create(build(repo.id, 'hook:1', {}));
      await stores.builds.create(
        build(repo.id, 'hook:2', { event: 'tag', ref: 'refs/tags/v1', target: 'v1' }),
      );
      await stores.builds.create(
        build(repo.id, 'hook:3', {
          message: HOSTILE_MESSAGE,
          target: HOSTILE_BRANCH,
          source: HOSTILE_BRANCH,
          authorLogin: HOSTILE_AUTHOR,
          after: 'fedcba9876543210fedcba9876543210fedcba98',
        }),
      );
      await stores.builds.create(build(other.id, 'hook:4', { message: 'elsewhere' }));
      const long = await stores.repos.upsertFacts(repoFacts('octo/long', 9));
      await stores.builds.create(
        build(long.id, 'hook:5', { target: 'b'.repeat(5000), message: `${'m'.repeat(70_000)}\u001b` }),
      );
    }));
    // What the runner will have written once build 3 ran: the engine, the digest, the exit code, the times.
    const client = createClient({ url });
    try {
      await client.batch([
        "update stages set machine = 'docker-1', status = 'failure', started_at = 1700000001000, finished_at = 1700000009000 where build_id = (select id from builds where idempotency_key = 'hook:3')",
        `update steps set digest = '${DIGEST}', status = case number when 1 then 'success' else 'failure' end, exit_code = number - 1, started_at = 1700000002000, finished_at = 1700000008000 where build_id = (select id from builds where idempotency_key = 'hook:3')`,
        "update builds set status = 'failure', started_at = 1700000001000, finished_at = 1700000009000 where idempotency_key = 'hook:3'",
      ]);
    } finally {
      client.close();
    }
  });
  afterEach(() => dir.remove());

  const createdOf = async (key: string) => {
    const client = createClient({ url });
    try {
      const result = await client.execute({
        sql: 'select created_at from builds where idempotency_key = ?',
        args: [key],
      });
      const ms = Number(result.rows[0]?.created_at);
      return { seconds: Math.floor(ms / 1000), shown: `${new Date(ms).toISOString().slice(0, 19)}Z` };
    } finally {
      client.close();
    }
  };

  it('lists the builds of one repository newest first, with pushed text escaped and bounded', async () => {
    const result = await cli('ls', 'OCTO/hello');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(RAW);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^NUMBER\s+STATUS\s+EVENT\s+BRANCH\s+COMMIT\s+AUTHOR\s+CREATED$/);
    const created = await createdOf('hook:3');
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      '3',
      'failure',
      'push',
      'feat/\\u001b]0;owned\\u0007x',
      'fedcba98',
      'mallory\\u001b[1A',
      created.shown,
    ]);
    expect(lines[2]).toMatch(/^2\s+pending\s+tag\s+v1\s+12345678\s+alice\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[3]).toMatch(/^1\s+pending\s+push\s+master\s+12345678\s+alice\s/);
    expect(result.stdout).not.toContain('elsewhere');

    expect((await cli('ls', 'octo/hello', '--event', 'tag')).stdout.split('\n').slice(1, -1)).toHaveLength(1);
    expect((await cli('ls', 'octo/hello', '--branch', 'master')).stdout).toMatch(/^1\s/m);
    expect((await cli('ls', 'octo/hello', '--branch', 'master')).stdout).not.toMatch(/^[23]\s/m);
    expect((await cli('ls', 'octo/hello', '--status', 'failure')).stdout.split('\n')[1]).toMatch(/^3\s/);
    const limited = await cli('ls', 'octo/hello', '--limit', '1', '--page', '2');
    expect(limited.stdout.split('\n').slice(1, -1)).toEqual([expect.stringMatching(/^2\s+pending\s+tag/)]);
    expect((await cli('ls', 'octo/hello', '--event', 'cron')).stdout).toBe('no builds\n');

    const long = await cli('ls', 'octo/long');
    expect(long.stdout.split('\n')[1]?.split(/\s{2,}/)[3]).toBe(`${'b'.repeat(39)}…`);
    const longInfo = await cli('info', 'octo/long', '1');
    expect(longInfo.stdout.split('\n')).toContain(`Message: ${'m'.repeat(999)}…`);
    expect(JSON.parse((await cli('info', 'octo/long', '1', '--json')).stdout).message).toHaveLength(70_001);
  });

  it("prints Drone's JSON with --json, the hostile message intact but escaped", async () => {
    const result = await cli('ls', 'octo/hello', '--json');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(RAW);
    const builds = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(builds.map((each) => each.number)).toEqual([3, 2, 1]);
    expect(builds[0]).toMatchObject({
      message: HOSTILE_MESSAGE,
      target: HOSTILE_BRANCH,
      author_login: HOSTILE_AUTHOR,
      status: 'failure',
      started: 1_700_000_001,
      finished: 1_700_000_009,
      created: (await createdOf('hook:3')).seconds,
    });
    expect(builds[0]).not.toHaveProperty('stages');

    const info = await cli('info', 'octo/hello', '3', '--json');
    expect(info.code).toBe(0);
    expect(info.stdout).not.toMatch(RAW);
    const detail = JSON.parse(info.stdout);
    expect(detail).toMatchObject({ number: 3, message: HOSTILE_MESSAGE });
    expect(detail.stages[0]).toMatchObject({ name: 'default', machine: 'docker-1', status: 'failure' });
    expect(detail.stages[0].steps.map((step: { exit_code: number }) => step.exit_code)).toEqual([0, 1]);
    expect(detail.provenance).toMatchObject({
      commit: 'fedcba9876543210fedcba9876543210fedcba98',
      config_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      steps: [
        { stage: 1, number: 1, name: 'clone', image: 'drone/git', digest: DIGEST, machine: 'docker-1' },
        {
          stage: 1,
          number: 2,
          name: 'test\u001b[8m',
          image: 'golang:1.22',
          digest: DIGEST,
          machine: 'docker-1',
        },
      ],
    });
  });

  it('shows one build, its stages and steps and what ran, with the message on one escaped line', async () => {
    const result = await cli('info', 'octo/hello', '3');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(RAW);
    const lines = result.stdout.split('\n');
    // The forged "Status: success" stays inside the message line; only the real status starts a line.
    expect(lines.filter((line) => line.startsWith('Status:'))).toEqual(['Status: failure']);
    expect(lines).toContain(
      'Message: fix \\u001b[31mred\\u001b[0m\\nStatus: success\\r\\u001b[2J\\u009b1m\\u202eevil\\u0007',
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        'Number: 3',
        'Event: push',
        'Action: -',
        'Ref: refs/heads/master',
        `Before: ${'0'.repeat(40)}`,
        'After: fedcba9876543210fedcba9876543210fedcba98',
        'Author: mallory\\u001b[1A',
        'Sender: alice',
        'Error: -',
        'Started: 2023-11-14T22:13:21Z',
        'Finished: 2023-11-14T22:13:29Z',
        'Commit built: fedcba9876543210fedcba9876543210fedcba98',
        expect.stringMatching(/^Pipeline file SHA-256: [0-9a-f]{64}$/),
        'Stages:',
        '  1 default: failure on docker-1',
      ]),
    );
    const steps = lines.filter((line) => line.startsWith('    ')).map((line) => line.trim().split(/\s{2,}/));
    expect(steps).toEqual([
      ['STEP', 'NAME', 'STATUS', 'EXIT', 'IMAGE', 'DIGEST'],
      ['1', 'clone', 'success', '0', 'drone/git', DIGEST],
      ['2', 'test\\u001b[8m', 'failure', '1', 'golang:1.22', DIGEST],
    ]);

    const pending = await cli('info', 'octo/hello', '1');
    expect(pending.stdout).toContain('Started: -\n');
    expect(pending.stdout).toMatch(/^ {4}1\s+clone\s+pending\s+-\s+drone\/git\s+-$/m);
  });

  it('refuses what is not a build: unknown repository or number (exit 1), bad options (exit 2)', async () => {
    const unknown = await cli('ls', 'octo/nope');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('drone-gogs: no repository octo/nope is known to drone-gogs\n');
    const missing = await cli('info', 'octo/hello', '9');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('drone-gogs: octo/hello has no build #9\n');

    for (const [args, message] of [
      [['ls', 'octo/hello', '--event', 'pushed'], '--event must be one of push, pull_request, tag'],
      [['ls', 'octo/hello', '--status', 'green'], '--status must be one of pending, blocked'],
      [['ls', 'octo/hello', '--limit', '101'], '--limit must be a whole number from 1 to 100'],
      [['ls', 'octo/hello', '--limit', 'ten'], '--limit must be a whole number from 1 to 100'],
      [['ls', 'octo/hello', '--page', '0'], '--page must be a whole number from 1'],
      [['ls', 'octo/hello', '--branch', 'a b'], '--branch is not a branch name: it contains " "'],
      [['info', 'octo/hello', 'three'], 'NUMBER must be a build number (1, 2, …), not three'],
      [['info', 'octo/hello', '0'], 'NUMBER must be a build number'],
      [['info', 'octo/hello'], 'build info needs NUMBER'],
    ] as const) {
      const result = await cli(...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr.split('\n')[0]).toContain(`drone-gogs: ${message}`);
    }
    const hostile = await cli('info', 'octo/hello', '\u001b[2J');
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).not.toMatch(RAW);
  });
});

/** `build approve|decline|restart|cancel` in process over a real database file, as a user at the box's shell. */
describe('drone-gogs build approve, decline, restart and cancel', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let url: string;
  const cli = (...args: string[]) => runCommand(runCli, ['build', ...args], { cwd: dir.path, env: {} });
  const PIPELINE =
    'kind: pipeline\nname: test\nsteps:\n- name: test\n  image: golang:1.22\n  commands: [go test]\n';

  beforeEach(async () => {
    ({ dir, url } = await seededDatabase(async (stores, repoId) => {
      const repo = { id: repoId };
      const blocked = (key: string) =>
        testBuild(repo.id, key, {
          status: 'blocked',
          origin: origin({ event: 'pull_request', fork: 'mallory/hello', sender: 'mallory' }),
          stages: [
            testStage(1, 'test', { status: 'blocked', steps: [] }),
            testStage(2, 'lint', { status: 'blocked', steps: [] }),
          ],
        });
      await stores.builds.create(blocked('hook:1'));
      await stores.builds.create(blocked('hook:2'));
      await stores.builds.create(testBuild(repo.id, 'hook:3', { origin: origin({}), config: PIPELINE }));
    }));
  });
  afterEach(() => dir.remove());

  it('answers --help for each, with its arguments', async () => {
    for (const [action, args] of [
      ['approve', 'OWNER/NAME NUMBER [STAGE] [--json]'],
      ['decline', 'OWNER/NAME NUMBER [STAGE] [--json]'],
      ['restart', 'OWNER/NAME NUMBER [--json]'],
      ['cancel', 'OWNER/NAME NUMBER [--json]'],
    ] as const) {
      const help = await cli(action, '--help');
      expect({ action, code: help.code, stderr: help.stderr }).toEqual({ action, code: 0, stderr: '' });
      expect(help.stdout.split('\n')[0]).toBe(`Usage: drone-gogs build ${action} ${args}`);
    }
    const group = (await cli('--help')).stdout;
    for (const action of ['approve', 'decline', 'restart', 'cancel'])
      expect(group).toContain(`  drone-gogs build ${action} OWNER/NAME NUMBER`);
  });

  it("approves and declines stages, printing what changed or Drone's JSON", async () => {
    const one = await cli('approve', 'octo/hello', '1', '2');
    expect(one).toMatchObject({
      code: 0,
      stdout: 'build #1 of octo/hello approved; it is blocked now\n  1 test: blocked\n  2 lint: pending\n',
    });
    const all = await cli('approve', 'octo/hello', '1', '--json');
    expect(all.code).toBe(0);
    const build = JSON.parse(all.stdout);
    expect(build).toMatchObject({
      number: 1,
      status: 'pending',
      source_repo: 'mallory/hello',
      sender: 'mallory',
      stages: [
        { number: 1, name: 'test', status: 'pending' },
        { number: 2, name: 'lint', status: 'pending' },
      ],
    });
    expect(Object.keys(build)).not.toContain('idempotencyKey');

    const declined = await cli('decline', 'octo/hello', '2', '--json');
    expect(JSON.parse(declined.stdout)).toMatchObject({
      status: 'declined',
      stages: [{ status: 'declined' }, { status: 'declined' }],
    });

    const client = createClient({ url });
    try {
      const rows = await client.execute(
        'select b.number, s.number as stage, s.status from stages s join builds b on b.id = s.build_id order by b.number, s.number',
      );
      expect(rows.rows.map((row) => [row.number, row.stage, row.status])).toEqual([
        [1, 1, 'pending'],
        [1, 2, 'pending'],
        [2, 1, 'declined'],
        [2, 2, 'declined'],
        [3, 1, 'pending'],
      ]);
    } finally {
      client.close();
    }
  });

  it('restarts as a new build and cancels, printing the new number and the end', async () => {
    const restarted = await cli('restart', 'octo/hello', '3');
    expect(restarted).toMatchObject({
      code: 0,
      stdout: 'build #4 of octo/hello restarts build #3; it is pending\n  1 test: pending\n',
    });
    const json = JSON.parse((await cli('restart', 'octo/hello', '3', '--json')).stdout);
    expect(json).toMatchObject({ number: 5, parent: 3, after: '1234567890abcdef1234567890abcdef12345678' });

    const cancelled = await cli('cancel', 'octo/hello', '4', '--json');
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({
      number: 4,
      status: 'killed',
      stages: [{ status: 'killed' }],
    });
    const blocked = await cli('cancel', 'octo/hello', '1');
    expect(blocked.stdout).toBe(
      'build #1 of octo/hello cancelled; it is killed\n  1 test: killed\n  2 lint: killed\n',
    );
  });

  it('refuses clearly: nothing blocked, an ended build, an unknown build or stage (exit 1), bad arguments (exit 2)', async () => {
    for (const [args, message] of [
      [
        ['approve', 'octo/hello', '3'],
        'build #3 of octo/hello is pending, with no stage waiting for approval: there is nothing to approve; `drone-gogs build info octo/hello 3` shows its stages',
      ],
      [['decline', 'octo/hello', '1', '5'], 'build #1 of octo/hello has no stage 5'],
      [['approve', 'octo/hello', '9'], 'octo/hello has no build #9'],
      [
        ['restart', 'octo/hello', '1'],
        'build #1 of octo/hello waits for approval; `drone-gogs build approve octo/hello 1` runs it',
      ],
      [['cancel', 'octo/nope', '1'], 'no repository octo/nope is known to drone-gogs'],
    ] as const) {
      const result = await cli(...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(result.stderr).toContain(`drone-gogs: ${message}`);
    }
    await cli('cancel', 'octo/hello', '3');
    expect((await cli('cancel', 'octo/hello', '3')).stderr).toContain(
      'drone-gogs: build #3 of octo/hello already ended (killed): there is nothing to cancel; `drone-gogs build restart octo/hello 3` runs it again',
    );
    for (const [args, message] of [
      [['approve', 'octo/hello', 'one'], 'NUMBER must be a build number (1, 2, …), not one'],
      [['approve', 'octo/hello', '1', 'x'], 'STAGE must be a stage number (1, 2, …), not x'],
      [['decline', 'octo/hello', '1', '0'], 'STAGE must be a stage number (1, 2, …), not 0'],
      [['restart', 'octo/hello', '1', '2'], 'unexpected argument "2"'],
      [['cancel', 'octo/hello'], 'build cancel needs NUMBER'],
    ] as const) {
      const result = await cli(...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(result.stderr.split('\n')[0]).toBe(`drone-gogs: ${message}`);
    }
  });
});
