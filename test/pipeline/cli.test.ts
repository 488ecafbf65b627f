/** `drone-gogs pipeline lint|plan`: output formats and exit codes, in process and through the real CLI. */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineCommand } from '../../sidecar/commands/pipeline.ts';
import { type CommandOutcome, runCommand } from '../support/run-command.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { corpusDir, repoRoot } from './support.ts';

const run = promisify(execFile);

let directory: { path: string; remove: () => Promise<void> };

function pipeline(args: string[]): Promise<CommandOutcome> {
  return runCommand(pipelineCommand, args, { cwd: directory.path });
}

const CLEAN = `kind: pipeline
type: docker
name: default
services:
- name: db
  image: postgres
steps:
- name: build
  image: golang:1.22
  commands: [go build]
  depends_on: [db]
- name: release
  image: plugins/docker
  when:
    event: tag
---
kind: pipeline
type: exec
name: x
`;

const BROKEN = `kind: pipeline
steps:
- name: a
  image: alpine
  privileged: true
  stpes: 1
- name: a
  image: alpine
`;

beforeAll(async () => {
  directory = await makeTempDir();
  await writeFile(join(directory.path, 'clean.yml'), CLEAN);
  await writeFile(join(directory.path, 'broken.yml'), BROKEN);
});

afterAll(async () => {
  await directory.remove();
});

describe('pipeline lint', () => {
  it('exits 0 with warnings only, printing FILE:LINE:COL: severity: message', async () => {
    const result = await pipeline(['lint', 'clean.yml']);
    expect(result).toEqual({
      code: 0,
      stdout:
        'clean.yml:18:1: warning: pipeline "x" has type "exec": only docker pipelines run here, so it is ignored\n',
      stderr: '',
    });
  });

  it('exits 1 on errors and lists every problem in file order', async () => {
    const result = await pipeline(['lint', 'broken.yml']);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      'broken.yml:5:3: error: untrusted repositories cannot enable privileged mode',
      'broken.yml:6:3: warning: unknown key "stpes" in a step; Drone ignores it',
      'broken.yml:7:3: error: duplicate step name "a" (same as the step on line 3)',
    ]);
  });

  it('--trusted allows trusted-only settings', async () => {
    const result = await pipeline(['lint', 'broken.yml', '--trusted']);
    expect(result.stdout).not.toContain('privileged');
    expect(result.code).toBe(1);
  });

  it('reports unreadable files and usage errors', async () => {
    expect(await pipeline(['lint', 'missing.yml'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'drone-gogs: cannot read missing.yml: ENOENT\n',
    });
    expect((await pipeline(['lint'])).code).toBe(2);
    expect((await pipeline(['lint', '--nope', 'clean.yml'])).code).toBe(2);
    expect((await pipeline(['frobnicate'])).stderr).toContain('unknown pipeline action "frobnicate"');
  });

  it('refuses a file over the size limit without reading it all', async () => {
    await writeFile(join(directory.path, 'big.yml'), `kind: pipeline\n#${'x'.repeat(2 * 1024 * 1024)}\n`);
    const result = await pipeline(['lint', 'big.yml']);
    expect(result).toMatchObject({
      code: 1,
      stderr: 'big.yml:1:1: error: file is 2.0 MB; the limit is 1.0 MB\n',
    });
  });
});

describe('pipeline plan', () => {
  it('--json prints the documented shape', async () => {
    const result = await pipeline(['plan', 'clean.yml', '--event', 'push', '--branch', 'master', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      pipelines: [
        {
          name: 'default',
          type: 'docker',
          runs: true,
          depends_on: [],
          clone: true,
          steps: [
            { name: 'build', image: 'golang:1.22', run_policy: 'on-success', depends_on: ['db'], number: 3 },
            {
              name: 'release',
              image: 'plugins/docker',
              run_policy: 'never',
              depends_on: ['clone'],
              number: null,
              excluded_by: 'event: does not match event "push"',
            },
          ],
          services: ['db'],
        },
      ],
      ignored: [{ name: 'x', type: 'exec' }],
    });
  });

  it('prints a readable tree by default, and takes the event details from flags', async () => {
    const result = await pipeline(['plan', 'clean.yml', '--event', 'tag', '--branch', 'v1.0.0']);
    expect(result.stdout).toBe(
      [
        'pipeline default: runs',
        '  ├─ clone (always)',
        '  ├─ service db',
        '  ├─ build (on-success) golang:1.22 after db',
        '  └─ release (on-success) plugins/docker after clone',
        'pipeline x: ignored (type exec)',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 and prints the errors when the build would error', async () => {
    await writeFile(
      join(directory.path, 'dupes.yml'),
      'kind: pipeline\nname: a\n---\nkind: pipeline\nname: a\n',
    );
    const result = await pipeline(['plan', 'dupes.yml', '--event', 'push', '--branch', 'master', '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('dupes.yml:5:1: error: duplicate pipeline name "a" (also on line 2)\n');
    expect(JSON.parse(result.stdout).error).toBe(
      'dupes.yml:5:1: duplicate pipeline name "a" (also on line 2)',
    );
  });

  it('answers conditions that would take too long with the one problem, not a hang', async () => {
    const patterns = Array(8)
      .fill(`  - '${'*a'.repeat(127)}*b'`)
      .join('\n');
    await writeFile(
      join(directory.path, 'slow.yml'),
      `kind: pipeline\nname: default\ntrigger:\n  branch:\n${patterns}\nsteps:\n- {name: a, image: alpine}\n`,
    );
    const result = await pipeline(['plan', 'slow.yml', '--event', 'push', '--branch', 'a'.repeat(4096)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('slow.yml:1:1: error: planning took too long; simplify the conditions\n');
  });

  it('needs --event and --branch, and an OWNER/NAME repository', async () => {
    expect((await pipeline(['plan', 'clean.yml', '--event', 'push'])).code).toBe(2);
    expect(
      (await pipeline(['plan', 'clean.yml', '--event', 'push', '--branch', 'm', '--repo', 'nope'])).code,
    ).toBe(2);
  });
});

describe('the real CLI', () => {
  it('node sidecar/cli.ts pipeline lint FILE exits with the lint result', async () => {
    const file = join(corpusDir, 'drone__drone.yml');
    const clean = await run(process.execPath, ['sidecar/cli.ts', 'pipeline', 'lint', file], {
      cwd: repoRoot,
    });
    expect(clean.stdout).toBe('');
    const broken = await run(
      process.execPath,
      ['sidecar/cli.ts', 'pipeline', 'lint', join(directory.path, 'broken.yml')],
      {
        cwd: repoRoot,
      },
    ).then(
      (success) => ({ code: 0, stdout: success.stdout }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('broken.yml:7:3: error: duplicate step name "a"');
  });
});
