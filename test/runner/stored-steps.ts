/**
 * Step rows for a stage that a runner test runs outside the queue: step logs are stored under the step's row, so a
 * stored log sink needs a repository, a build and a stage whose steps carry the plan's names; a follower ends on
 * the step's stored status, which the statuses sink here records as the queue's stage worker does.
 */
import type { NewStep, PlanStage, StatusSink, Stores } from '../../sidecar/core/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { repoFacts } from '../support/stores.ts';

let created = 0;

type StepStores = Pick<Stores, 'repos' | 'builds' | 'stageQueue'>;

export interface StoredSteps {
  /** The step rows' ids by step name, as {@link createStoredLogSink} takes them. */
  stepIds: Map<string, number>;
  /** The id of the step named `name`; throws for a name the stage does not have. */
  idOf(name: string): number;
  buildId: number;
  stageId: number;
  /** Records each reported step state in its row. */
  statuses: StatusSink;
}

/** A fresh build of `octo/hello` with one stage holding a step row for every created step of `stage`. */
export function storeStepsOf(stores: StepStores, stage: PlanStage): Promise<StoredSteps> {
  return storeSteps(
    stores,
    stage.steps.flatMap((step) =>
      step.number === null ? [] : [testStep(step.number, step.name, { image: step.image })],
    ),
  );
}

/** A fresh build of `octo/hello` with one stage holding these steps (names, or steps as the queue adds them). */
export async function storeSteps(stores: StepStores, steps: (string | NewStep)[]): Promise<StoredSteps> {
  const repo = await stores.repos.upsertFacts(repoFacts('octo/hello', 4242));
  const { build } = await stores.builds.create(
    testBuild(repo.id, `runner-test:${process.pid}:${++created}`, {
      stages: [
        testStage(1, 'default', {
          status: 'running',
          steps: steps.map((step, index) => (typeof step === 'string' ? testStep(index + 1, step) : step)),
        }),
      ],
    }),
  );
  const found = await stores.builds.get(build.id);
  const row = found?.stages[0];
  if (row === undefined) throw new Error('the test build has no stage');
  const stepIds = new Map(row.steps.map((step) => [step.name, step.id]));
  return {
    stepIds,
    idOf(name) {
      const id = stepIds.get(name);
      if (id === undefined) throw new Error(`the test stage has no step ${name}`);
      return id;
    },
    buildId: build.id,
    stageId: row.id,
    statuses: {
      async step(state) {
        const step = row.steps.find((each) => each.name === state.name);
        if (step === undefined) return;
        await stores.stageQueue.updateStep(row, step, {
          status: state.status,
          exitCode: state.exitCode,
          error: state.error,
          startedAt: state.startedAt ?? 0,
          finishedAt: state.finishedAt ?? 0,
        });
      },
    },
  };
}
