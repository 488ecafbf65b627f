/**
 * Secrets end to end, as an admin and a pusher meet them: `drone-gogs secret add` (a real process, the value on
 * its stdin) beside a running `drone-gogs serve` (another process) and the Gogs test double; a push whose step
 * uses them through `from_secret` on the real dockerd. The unmasked evidence is the step container's environment
 * as the engine reports it; the stored log rows, `secret ls`, `build info`, serve's output and the database file
 * must not hold the values.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { createTestDocker } from '../support/docker.ts';
import { type GogsForServe, startGogsForServe } from '../support/gogs-for-serve.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { runCommand } from '../support/run-command.ts';
import { REPO_ROOT, type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';
import { databaseBytes, leaksOf } from './leak-search.ts';

const STEP = 'uses-secrets';
const PIPELINE = `kind: pipeline
type: docker
name: default
steps:
- name: ${STEP}
  image: ${BUSYBOX_IMAGE}
  pull: never
  environment:
    TOKEN:
      from_secret: deploy_token
    FROM_ORG:
      from_secret: ORG_ONLY
    SHARED:
      from_secret: shared
    NOT_THERE:
      from_secret: never_added
  commands:
  - echo "token=$TOKEN"
  - echo "org=$FROM_ORG shared=$SHARED missing=[$NOT_THERE]"
  - until [ -f /tmp/go ]; do sleep 0.1; done
  - echo done
`;

async function until<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('secrets in builds', () => {
  let t: GogsForServe;
  let serve: SidecarProcess | undefined;
  let client: Client | undefined;
  beforeAll(() => ensureBusyboxImage());
  afterEach(async () => {
    client?.close();
    await serve?.stop();
    await t.dispose();
  });

  it('reach the step that names them, masked in its stored log, and nowhere else', {
    timeout: 120_000,
  }, async () => {
    t = await startGogsForServe();
    const env = { ...t.env, DRONE_GOGS_SECRET_KEY: randomBytes(32).toString('hex') };
    serve = await startSidecarProcess({ cwd: t.dir.path, env });
    const enabled = await runCommand(runCli, ['repo', 'enable', 'alice/app'], {
      cwd: t.dir.path,
      env: { ...env, DRONE_GOGS_HOOK_URL: `${serve.url}/hook` },
    });
    expect(enabled.code).toBe(0);

    const token = `tok-${randomBytes(16).toString('hex')}`;
    const orgValue = `org-${randomBytes(16).toString('hex')}`;
    const orgShared = `org-shared-${randomBytes(8).toString('hex')}`;
    const repoShared = `repo-shared-${randomBytes(8).toString('hex')}`;
    const values = [token, orgValue, orgShared, repoShared];
    const secret = (args: string[], value: string) => {
      const result = spawnSync(process.execPath, [join(REPO_ROOT, 'sidecar/cli.ts'), 'secret', ...args], {
        cwd: t.dir.path,
        env: { PATH: process.env.PATH ?? '', HOME: t.dir.path, ...env },
        encoding: 'utf8',
        input: `${value}\n`,
        timeout: 30_000,
      });
      expect({ args, code: result.status, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      return result.stdout;
    };
    const printed = [
      secret(['add', 'alice/app', 'DEPLOY_TOKEN'], token),
      secret(['add', '--org', 'alice', 'org_only'], orgValue),
      secret(['add', '--org', 'alice', 'SHARED'], orgShared),
      secret(['add', 'alice/app', 'Shared'], repoShared),
    ];

    await t.push({ '.drone.yml': PIPELINE }, 'use the secrets');
    client = createClient({ url: t.databaseUrl });
    const db = client;
    const instance = await until(async () => {
      const row = (
        await db.execute({
          sql: "select stages.claimed_by from steps join stages on stages.id = steps.stage_id where steps.name = ? and steps.status = 'running'",
          args: [STEP],
        })
      ).rows[0];
      return row === undefined ? undefined : String(row.claimed_by);
    });
    // The step waits for /tmp/go, so its container is there to inspect until the test lets it finish.
    const docker = createTestDocker();
    const filters = JSON.stringify({
      label: [`io.drone-gogs.instance=${instance}`, `io.drone-gogs.step=${STEP}`],
    });
    const containerId = await until(async () => (await docker.listContainers({ filters }))[0]?.Id);
    const container = docker.getContainer(containerId);
    const environment = (await container.inspect()).Config.Env;
    expect(environment).toEqual(
      expect.arrayContaining([
        `TOKEN=${token}`,
        `FROM_ORG=${orgValue}`,
        // The repository's secret overrides its organisation's of the same name.
        `SHARED=${repoShared}`,
        'NOT_THERE=',
      ]),
    );
    expect(environment.join('\n')).not.toContain(orgShared);

    const exec = await container.exec({ Cmd: ['touch', '/tmp/go'] });
    await new Promise<void>((resolve, reject) =>
      exec.start({}, (error, stream) => {
        if (error || !stream) return reject(error ?? new Error('no exec stream'));
        stream.on('end', () => resolve());
        stream.resume();
      }),
    );
    const status = await until(async () => {
      const row = (await db.execute('select status from builds')).rows[0];
      return row === undefined || row.status === 'pending' || row.status === 'running'
        ? undefined
        : String(row.status);
    });
    expect(status).toBe('success');

    // The stored log, read from the rows themselves (every log chunk table): the step echoed the values, the
    // store holds stars.
    const tables = await db.execute(
      "select name from sqlite_master where type = 'table' and name like '%log_chunks'",
    );
    const chunks = [];
    for (const table of tables.rows)
      chunks.push(...(await db.execute(`select * from "${String(table.name)}"`)).rows);
    const logRows = JSON.stringify(chunks);
    expect(logRows).toContain('token=******');
    expect(logRows).toContain('org=****** shared=****** missing=[]');
    expect(logRows).toContain('done');

    const cli = (...args: string[]) => runCommand(runCli, args, { cwd: t.dir.path, env });
    const answers = [
      await cli('secret', 'ls', 'alice/app', '--json'),
      await cli('secret', 'ls', '--org', 'alice', '--json'),
      await cli('build', 'info', 'alice/app', '1', '--json'),
      await cli('log', 'view', 'alice/app', '1', '1', '2'),
    ];
    for (const answer of answers) expect(answer.code).toBe(0);
    expect(JSON.parse(answers[0]?.stdout ?? '').map((each: { name: string }) => each.name)).toEqual([
      'DEPLOY_TOKEN',
      'Shared',
    ]);
    expect(answers[3]?.stdout).toContain('token=******');

    await serve.stop();
    const { bytes } = await databaseBytes(env.DRONE_GOGS_DATA_DIR);
    const everything = [
      ...printed,
      ...answers.flatMap((answer) => [answer.stdout, answer.stderr]),
      serve.output(),
      logRows,
    ].join('\n');
    for (const value of values) {
      expect(everything).not.toContain(value);
      expect(leaksOf(value, bytes)).toEqual([]);
    }
    serve = undefined;
  });
});
