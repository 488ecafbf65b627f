/** `drone-gogs engines`: every configured engine checked against the real dockerd and a socket nobody serves. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enginesCommand } from '../../sidecar/commands/engines.ts';
import { runCommand } from '../support/run-command.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

describe('drone-gogs engines', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => dir.remove());

  const engines = (args: string[], env: Record<string, string> = {}) =>
    runCommand(enginesCommand, args, {
      cwd: dir.path,
      env: { DRONE_GOGS_SECRET_KEY: 'ab'.repeat(32), ...env },
    });

  it('shows the local engine answering, with the platform it reports', async () => {
    const result = await engines([]);
    expect(result.code).toBe(0);
    const platform = `linux/${GO_ARCH[process.arch] ?? process.arch}`;
    expect(result.stdout.split('\n')[0]).toMatch(/^ENGINE +ADDRESS +STATE +PLATFORM +CAPACITY +LABELS$/);
    expect(result.stdout.split('\n')[1]).toMatch(new RegExp(`^local +local socket +up +${platform} +2 +-$`));
    expect(result.stderr).toBe('');
  });

  it('names an engine that does not answer, why, and what to check; exit 1', async () => {
    const file = join(dir.path, 'engines.json');
    await writeFile(
      file,
      JSON.stringify({
        engines: [
          { name: 'here', address: 'unix:///var/run/docker.sock', capacity: 3, labels: { disk: 'ssd' } },
          {
            name: 'gone',
            address: `unix://${join(dir.path, 'gone.sock')}`,
            platform: { os: 'linux', arch: 'arm64' },
          },
        ],
      }),
    );
    const result = await engines(['--json'], { DRONE_GOGS_ENGINES_FILE: 'engines.json' });
    expect(result.code).toBe(1);
    const states = JSON.parse(result.stdout);
    expect(states).toEqual([
      expect.objectContaining({
        name: 'here',
        up: true,
        capacity: 3,
        labels: { disk: 'ssd' },
        lastError: null,
      }),
      expect.objectContaining({
        name: 'gone',
        up: false,
        platform: { os: 'linux', arch: 'arm64' },
        address: `unix://${join(dir.path, 'gone.sock')}`,
      }),
    ]);
    expect(result.stderr).toContain(`engine=gone error="connect ENOENT ${join(dir.path, 'gone.sock')}"`);
    expect(result.stderr).toContain(`check that dockerd runs there and that ${file} has its address right`);
  });
});
