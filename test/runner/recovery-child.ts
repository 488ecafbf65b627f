/**
 * A sidecar stand-in for recovery tests, run as its own process: runs one stage with the Docker runner, its logs
 * going to the store, and prints `running` once the step runs. The test kills it mid-step.
 * Usage: node test/runner/recovery-child.ts '<json: { instance, build, databaseUrl, yaml, stepIds }>', `stepIds`
 * being the step rows' ids by step name.
 */
import type { StageRunIds } from '../../sidecar/core/index.ts';
import { createDockerRunner } from '../../sidecar/runner/index.ts';
import { createStoredLogSink, openStores } from '../../sidecar/store/index.ts';
import { createTestDocker } from '../support/docker.ts';
import { quietLogger, stageFrom } from './stage-harness.ts';

const input = JSON.parse(process.argv[2] ?? '{}') as {
  instance: string;
  build: string;
  databaseUrl: string;
  yaml: string;
  stepIds: Record<string, number>;
};
const stores = await openStores({ url: input.databaseUrl, migrate: false });
const ids: StageRunIds = { instance: input.instance, repo: 'octo/hello', build: input.build, stage: '1' };
const runner = createDockerRunner({ docker: createTestDocker(), logger: quietLogger });
await runner.runStage({
  ids,
  stage: stageFrom(input.yaml),
  secrets: { token: 's3cr3t' },
  trusted: false,
  workspace: { kind: 'empty' },
  logs: createStoredLogSink({ store: stores.logs, stepIds: new Map(Object.entries(input.stepIds)) }),
  statuses: {
    step(state) {
      if (state.status === 'running') process.stdout.write(`running ${state.name}\n`);
    },
  },
  timeoutMs: 120_000,
});
await stores.close();
