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
    expect(result.stdout.split('\n')[0]).toBe(
      'octo/hello: trusted, stage timeout 90 min, pipeline file ci/drone.yml',
    );
    expect(result.stderr).toMatch(/^warning: pipelines of octo\/hello may now run privileged containers/m);
    expect(await stored()).toMatchObject({ trusted: true, timeoutMinutes: 90, configPath: 'ci/drone.yml' });

    const list = await repo('list');
    expect(list.stdout.split('\n')[1]).toMatch(/^octo\/hello\s+disabled\s+public\s+trusted\s+forks\s+-\s+-$/);
    const json = JSON.parse((await repo('list', '--json')).stdout);
    expect(json[0]).toMatchObject({ trusted: true, timeoutMinutes: 90, configPath: 'ci/drone.yml' });

    const back = await repo('set', 'octo/hello', '--trusted=false', '--timeout=default');
    expect(back.stdout.split('\n')[0]).toBe(
      'octo/hello: not trusted, stage timeout 60 min (the default), pipeline file ci/drone.yml',
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
      ['--approval=maybe', '--approval takes one of none, forks, pull_requests, all'],
      ['--throttle=1001', '--throttle takes a number of stages from 0 (no limit) to 1000'],
      ['--throttle=-1', '--throttle takes a number of stages'],
      ['--throttle=two', '--throttle takes a number of stages'],
      ['--ignore-forks=yes', '--ignore-forks takes true or false'],
      ['--auto-cancel-running=1', '--auto-cancel-running takes true or false'],
      ['--approve-user=--upload-pack=evil', '--approve-user takes a Gogs user name'],
      ['--no-approve-user=a b', '--no-approve-user takes a Gogs user name'],
    ] as const) {
      const result = await repo('set', 'octo/hello', option);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(await stored()).toMatchObject({
      trusted: false,
      timeoutMinutes: null,
      configPath: '.drone.yml',
      requireApproval: 'forks',
      approvalAllowList: [],
      ignoreForks: false,
      autoCancelRunning: false,
      throttle: 0,
    });
    expect((await repo('set', 'octo/hello')).stderr).toContain(
      'repo set needs at least one setting to change',
    );

    const unknown = await repo('set', 'octo/nope', '--trusted=true');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'octo/nope is not known yet; enable it first with `drone-gogs repo enable octo/nope`',
    );
  });

  it('sets approval, its allow-list, what is ignored, auto-cancel and the throttle, each both ways', async () => {
    const on = await repo(
      'set',
      'octo/hello',
      '--approval=pull_requests',
      '--approve-user',
      'Bob',
      '--approve-user=carol',
      '--ignore-forks',
      '--ignore-pull-requests',
      '--auto-cancel-pushes',
      '--auto-cancel-pull-requests=true',
      '--auto-cancel-running',
      '--throttle',
      '3',
    );
    expect(on.code).toBe(0);
    expect(on.stderr).not.toContain('warning');
    expect(on.stdout).toBe(
      [
        'octo/hello: not trusted, stage timeout 60 min (the default), pipeline file .drone.yml',
        '  approval: pull_requests (never waiting: bob, carol)',
        '  ignored: pull requests',
        '  auto-cancel: pushes, pull requests, running builds too',
        '  throttle: 3 stage(s) at once',
        '',
      ].join('\n'),
    );
    // The stored row, and the view `repo list --json` prints, have every setting.
    const all = {
      requireApproval: 'pull_requests',
      approvalAllowList: ['bob', 'carol'],
      ignoreForks: true,
      ignorePullRequests: true,
      autoCancelPushes: true,
      autoCancelPullRequests: true,
      autoCancelRunning: true,
      throttle: 3,
    };
    expect(await stored()).toMatchObject(all);
    const list = await repo('list');
    expect(list.stdout.split('\n')[0]).toMatch(
      /^REPOSITORY\s+STATE\s+VISIBILITY\s+TRUSTED\s+APPROVAL\s+THROTTLE\s+HOOK$/,
    );
    expect(list.stdout.split('\n')[1]).toMatch(
      /^octo\/hello\s+disabled\s+public\s+-\s+pull_requests\s+3\s+-$/,
    );
    const [json] = JSON.parse((await repo('list', '--json')).stdout);
    expect(json).toMatchObject(all);

    const off = await repo(
      'set',
      'octo/hello',
      '--approval=none',
      '--no-approve-user=BOB',
      '--ignore-pull-requests=false',
      '--auto-cancel-pushes=false',
      '--auto-cancel-pull-requests=false',
      '--auto-cancel-running=false',
      '--throttle=0',
    );
    expect(off.stdout.split('\n').slice(1)).toEqual([
      '  approval: none (never waiting: carol)',
      '  ignored: pull requests from forks',
      '  auto-cancel: nothing',
      '  throttle: none',
      '',
    ]);
    expect(await stored()).toMatchObject({
      requireApproval: 'none',
      approvalAllowList: ['carol'],
      ignoreForks: true,
      ignorePullRequests: false,
      autoCancelPushes: false,
      autoCancelPullRequests: false,
      autoCancelRunning: false,
      throttle: 0,
    });
  });

  it('takes a bare switch as on without eating the next word, and documents every option', async () => {
    // `--ignore-forks OWNER/NAME`: the repository stays the argument, the switch is on.
    const result = await repo('set', '--ignore-forks', 'octo/hello');
    expect(result).toMatchObject({ code: 0 });
    expect(await stored()).toMatchObject({ ignoreForks: true, ignorePullRequests: false });
    const help = await repo('set', '--help');
    expect(help.code).toBe(0);
    for (const option of [
      '--approval=RULE',
      '--approve-user LOGIN',
      '--no-approve-user LOGIN',
      '--ignore-forks',
      '--ignore-pull-requests',
      '--auto-cancel-pushes',
      '--auto-cancel-pull-requests',
      '--auto-cancel-running',
      '--throttle N',
    ])
      expect(help.stdout).toContain(`\n  ${option}`);
  });
});
