/** `drone-gogs repo set` and `repo list`: the per-repository settings an admin changes, in the real database file. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { openStores } from '../../sidecar/store/index.ts';
import { runCommand } from '../support/run-command.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

describe('drone-gogs repo set', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  const repo = (...args: string[]) => runCommand(runCli, ['repo', ...args], { cwd: dir.path, env: {} });
  const stored = async () => {
    const stores = await openStores({ url: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href });
    try {
      return await stores.repos.findByFullName('octo/hello');
    } finally {
      await stores.close();
    }
  };

  beforeEach(async () => {
    dir = await makeTempDir();
    const stores = await openStores({ url: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href });
    await stores.repos.upsertFacts(repoFacts('octo/hello', 7));
    await stores.close();
  });
  afterEach(() => dir.remove());

  it('trusts a repository with a warning, sets its timeout and pipeline file, and lists them', async () => {
    const result = await repo('set', 'OCTO/Hello', '--trusted=true', '--timeout=90', '--config=ci/drone.yml');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toBe('octo/hello: trusted, stage timeout 90 min, pipeline file ci/drone.yml\n');
    expect(result.stderr).toMatch(/^warning: pipelines of octo\/hello may now run privileged containers/m);
    expect(await stored()).toMatchObject({ trusted: true, timeoutMinutes: 90, configPath: 'ci/drone.yml' });

    const list = await repo('list');
    expect(list.stdout.split('\n')[1]).toMatch(/^octo\/hello\s+disabled\s+public\s+trusted\s+-$/);
    const json = JSON.parse((await repo('list', '--json')).stdout);
    expect(json[0]).toMatchObject({ trusted: true, timeoutMinutes: 90, configPath: 'ci/drone.yml' });

    const back = await repo('set', 'octo/hello', '--trusted=false', '--timeout=default');
    expect(back.stdout).toBe(
      'octo/hello: not trusted, stage timeout 60 min (the default), pipeline file ci/drone.yml\n',
    );
    expect(back.stderr).not.toContain('warning: pipelines');
    expect(await stored()).toMatchObject({ trusted: false, timeoutMinutes: null });
  });

  it('refuses bad values before touching the database, and unknown repositories', async () => {
    for (const [option, message] of [
      ['--trusted=yes', '--trusted takes true or false'],
      ['--timeout=0', '--timeout takes minutes from 1 to 10080, or default'],
      ['--timeout=1.5', '--timeout takes minutes'],
      ['--config=../../etc/passwd', '--config takes a path inside the repository'],
      ['--config=/abs.yml', '--config takes a path inside the repository'],
    ] as const) {
      const result = await repo('set', 'octo/hello', option);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await stored()).toMatchObject({ trusted: false, timeoutMinutes: null, configPath: '.drone.yml' });
    expect((await repo('set', 'octo/hello')).stderr).toContain(
      'repo set needs --trusted, --timeout or --config',
    );

    const unknown = await repo('set', 'octo/nope', '--trusted=true');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'octo/nope is not known yet; enable it first with `drone-gogs repo enable octo/nope`',
    );
  });
});
