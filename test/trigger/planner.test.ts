/**
 * The sidecar's planner: the thread that answered in time is reused, one past its deadline is terminated and
 * replaced. Threads are counted through the spawn hook; nothing is timed.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PLANNING_TOO_LONG, parsePipelineFile, planPipelines } from '../../sidecar/pipeline/index.ts';
import { createPlanner, type Planner, spawnPlanThread } from '../../sidecar/trigger/index.ts';
import { context } from '../pipeline/support.ts';

const FILE = 'kind: pipeline\nname: default\nsteps:\n- {name: test, image: golang, commands: [go test]}\n';

/** Spawns plan threads and remembers each, so that the test can count them and see which ended. */
function counted(make: () => Worker = spawnPlanThread) {
  const threads: { thread: Worker; exited: boolean; exit: Promise<void> }[] = [];
  return {
    threads,
    spawn: () => {
      const thread = make();
      const entry = { thread, exited: false, exit: Promise.resolve() };
      entry.exit = new Promise<void>((resolve) =>
        thread.once('exit', () => {
          entry.exited = true;
          resolve();
        }),
      );
      threads.push(entry);
      return thread;
    },
  };
}

describe('the planner', () => {
  let planner: Planner;
  afterEach(() => planner.stop());

  it('answers as planPipelines does, from one thread kept warm between files', async () => {
    const spawned = counted();
    planner = createPlanner({ spawn: spawned.spawn });
    const expected = planPipelines(parsePipelineFile(FILE, { fileName: '.drone.yml' }), context());
    for (let round = 0; round < 3; round++)
      expect(await planner.plan({ source: FILE, fileName: '.drone.yml' }, context())).toEqual(expected);
    expect(spawned.threads).toHaveLength(1);
    expect(spawned.threads[0]?.exited).toBe(false);
  });

  it('keeps one thread after calls at once, and ends the others', async () => {
    const spawned = counted();
    planner = createPlanner({ spawn: spawned.spawn });
    await Promise.all([1, 2, 3].map(() => planner.plan({ source: FILE, fileName: '.drone.yml' }, context())));
    expect(spawned.threads).toHaveLength(3);
    // Two of the three end; which two depends on the order the answers came in.
    await Promise.race([
      Promise.all([spawned.threads[0]?.exit, spawned.threads[1]?.exit]),
      Promise.all([spawned.threads[0]?.exit, spawned.threads[2]?.exit]),
      Promise.all([spawned.threads[1]?.exit, spawned.threads[2]?.exit]),
    ]);
    expect(spawned.threads.filter((entry) => !entry.exited)).toHaveLength(1);
  });

  it('terminates a thread past its deadline, answers the one problem, and starts a new one next time', async () => {
    const silent = counted(
      () =>
        new Worker(
          "require('node:worker_threads').parentPort.postMessage({ ready: true }); setInterval(() => {}, 1000);",
          { eval: true },
        ),
    );
    planner = createPlanner({ spawn: silent.spawn, deadlineMs: 50 });
    const answer = await planner.plan({ source: FILE, fileName: '.drone.yml' }, context());
    expect(answer.problems.map((problem) => problem.message)).toEqual([PLANNING_TOO_LONG]);
    await silent.threads[0]?.exit;
    await planner.plan({ source: FILE, fileName: '.drone.yml' }, context());
    expect(silent.threads).toHaveLength(2);
  });

  it('ends its warm thread when stopped', async () => {
    const spawned = counted();
    planner = createPlanner({ spawn: spawned.spawn });
    await planner.plan({ source: FILE, fileName: '.drone.yml' }, context());
    expect(spawned.threads[0]?.exited).toBe(false);
    await planner.stop();
    await spawned.threads[0]?.exit;
    expect(spawned.threads[0]?.exited).toBe(true);
  });
});
