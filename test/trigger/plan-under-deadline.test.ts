/**
 * Planning a pushed file in a thread under a deadline: the thread's answer is planPipelines' own, and past the
 * deadline the answer is the one problem and the thread is gone. The deadline is made tiny so that it fires
 * first on a file that keeps the thread busy (it runs into the budget of matching steps); nothing is timed.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../sidecar/core/index.ts';
import {
  lintPipelineFile,
  PLANNING_TOO_LONG,
  parsePipelineFile,
  planPipelines,
} from '../../sidecar/pipeline/index.ts';
import {
  LINT_TOO_LONG,
  lintUnderDeadline,
  planUnderDeadline,
  spawnPlanThread,
} from '../../sidecar/trigger/index.ts';
import { context } from '../pipeline/support.ts';

const ORDINARY = `kind: pipeline
name: default
trigger:
  branch: [master, 'release/*']
steps:
- {name: test, image: golang, commands: [go test]}
- {name: lint, image: golang, commands: [go vet], when: {event: tag}}
`;

/** A thread that says it is ready, then never answers: only a deadline ends a call to it. */
function silentThread(): { spawn: () => Worker; exitCode: () => number | null } {
  let exitCode: number | null = null;
  return {
    spawn: () => {
      const thread = new Worker(
        "require('node:worker_threads').parentPort.postMessage({ ready: true }); setInterval(() => {}, 1000);",
        { eval: true },
      );
      thread.once('exit', (code) => {
        exitCode = code;
      });
      return thread;
    },
    exitCode: () => exitCode,
  };
}

/** A plan thread whose end the test can see: the exit code, recorded when the thread exits. */
function watchedThread(): { spawn: () => Worker; exitCode: () => number | null } {
  let exitCode: number | null = null;
  return {
    spawn: () => {
      const thread = spawnPlanThread();
      thread.once('exit', (code) => {
        exitCode = code;
      });
      return thread;
    },
    exitCode: () => exitCode,
  };
}

const source = (text: string) => ({ source: new TextEncoder().encode(text), fileName: '.drone.yml' });

describe('planUnderDeadline', () => {
  it("answers with planPipelines' own result, and the thread is gone", async () => {
    const watched = watchedThread();
    const result = await planUnderDeadline(source(ORDINARY), context(), {}, { spawn: watched.spawn });
    const inProcess = planPipelines(parsePipelineFile(ORDINARY, { fileName: '.drone.yml' }), context());
    expect(result).toEqual(inProcess);
    expect(result.plan.stages.map((stage) => stage.steps.map((step) => step.name))).toEqual([
      ['clone', 'test', 'lint'],
    ]);
    expect(watched.exitCode()).not.toBeNull();
  });

  it('past the deadline answers with the one problem, after terminating the thread', async () => {
    const silent = silentThread();
    const result = await planUnderDeadline(
      source(ORDINARY),
      context(),
      {},
      { deadlineMs: 1, spawn: silent.spawn },
    );
    expect(result.problems).toEqual([
      { severity: 'error', rule: 'planning-too-long', message: PLANNING_TOO_LONG, line: 1, col: 1 },
    ]);
    expect(result.error).toBe('planning took too long; simplify the conditions');
    expect(result.plan.stages).toEqual([]);
    // The thread would never exit on its own; terminate() ends it with exit code 1.
    expect(silent.exitCode()).toBe(1);
  });

  it('rejects with INTERNAL when the thread itself fails', async () => {
    const failing = () => new Worker('process.exit(3)', { eval: true });
    const error = await planUnderDeadline(source(ORDINARY), context(), {}, { spawn: failing }).catch(
      (caught: unknown) => caught,
    );
    expect(isAppError(error, 'INTERNAL')).toBe(true);
    expect((error as Error).message).toMatch(/exit code 3/);
  });
});

describe('lintUnderDeadline', () => {
  it("answers with lintPipelineFile's problems", async () => {
    const broken = 'kind: pipeline\nsteps:\n- name: a\n  image: alpine\n  stpes: 1\n';
    const problems = await lintUnderDeadline(source(broken), { trusted: false });
    expect(problems).toEqual(
      lintPipelineFile(parsePipelineFile(broken, { fileName: '.drone.yml' }), { trusted: false }),
    );
    expect(problems.length).toBeGreaterThan(0);
  });

  it('past the deadline answers with one problem saying the file took too long to check', async () => {
    const silent = silentThread();
    const problems = await lintUnderDeadline(
      source('kind: pipeline\nsteps: []\n'),
      { trusted: false },
      { deadlineMs: 1, spawn: silent.spawn },
    );
    expect(problems).toEqual([
      { severity: 'error', rule: 'lint-too-long', message: LINT_TOO_LONG, line: 1, col: 1 },
    ]);
    expect(silent.exitCode()).toBe(1);
  });
});
