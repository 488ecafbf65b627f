/**
 * `drone-gogs log view` over a database file that another process writes: the command opens its own services,
 * the test writes lines and statuses through a store handle of its own, as a serve process running the step would.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import type { LogLine, Stage, Step, Stores } from '../../sidecar/core/index.ts';
import { createStoredLogSink, openStores } from '../../sidecar/store/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { runCommand } from '../support/run-command.ts';
import { repoFacts } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const lines = (from: number, count: number): LogLine[] =>
  Array.from({ length: count }, (_, index) => ({
    number: from + index,
    text: `line ${from + index}`,
    time: 0,
  }));

describe('drone-gogs log view of a step another process runs', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let writer: Stores;
  let stage: Stage;
  let step: Step;

  beforeEach(async () => {
    dir = await makeTempDir();
    writer = await openStores({ url: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href });
    const repo = await writer.repos.upsertFacts(repoFacts('alice/app', 7));
    const { build } = await writer.builds.create(
      testBuild(repo.id, 'hook:1', {
        stages: [
          testStage(1, 'default', { status: 'running', steps: [testStep(1, 'clone'), testStep(2, 'test')] }),
        ],
      }),
    );
    const found = await writer.builds.get(build.id);
    const row = found?.stages[0];
    const test = row?.steps.find((each) => each.name === 'test');
    if (row === undefined || test === undefined) throw new Error('no step stored');
    [stage, step] = [row, test];
  });
  afterEach(async () => {
    await writer.close();
    await dir.remove();
  });

  const setStatus = (status: 'running' | 'success') =>
    writer.stageQueue.updateStep(stage, step, {
      status,
      exitCode: status === 'success' ? 0 : null,
      error: null,
      startedAt: 1,
      finishedAt: status === 'success' ? 2 : 0,
    });
  const sink = () => createStoredLogSink({ store: writer.logs, stepIds: new Map([['test', step.id]]) });

  it('--follow prints lines as they are stored and ends once the step ended there', async () => {
    await setStatus('running');
    await sink().write('test', lines(0, 2));
    let printed = '';
    const until = async (text: string) => {
      while (!printed.includes(text)) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const following = runCli(['log', 'view', 'alice/app', '1', '1', '2', '--follow'], {
      stdout: (text) => {
        printed += text;
      },
      stderr: () => {},
      env: {},
      cwd: dir.path,
      isTTY: false,
      interrupted: () => new AbortController().signal,
    });
    let ended = false;
    void following.then(() => {
      ended = true;
    });
    await until('line 1\n');
    await sink().write('test', lines(2, 2));
    await until('line 3\n');
    expect(ended).toBe(false);
    await setStatus('success');
    expect(await following).toBe(0);
    expect(printed).toBe('line 0\nline 1\nline 2\nline 3\n');
  });

  it('finds the log under the new name of a renamed repository', async () => {
    await sink().write('test', lines(0, 2));
    await setStatus('success');
    await writer.repos.upsertFacts(repoFacts('alice/renamed', 7));
    const cli = (name: string) =>
      runCommand(runCli, ['log', 'view', name, '1', '1', '2'], { cwd: dir.path, env: {} });
    expect(await cli('alice/renamed')).toMatchObject({ code: 0, stdout: 'line 0\nline 1\n' });
    const old = await cli('alice/app');
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('no repository alice/app is known to drone-gogs');
  });
});
