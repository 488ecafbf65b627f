/**
 * A harness whose Docker client inspects every container right after the runner created it: tests read what the
 * engine itself made of a step (its HostConfig), although the stage removes its containers when it ends.
 */
import type Docker from 'dockerode';
import type { PlanStage, StageResult, StageRun } from '../../sidecar/core/index.ts';
import { createDockerRunner, type DockerRunnerOptions } from '../../sidecar/runner/index.ts';
import { createTestDocker } from '../support/docker.ts';
import { type MemoryLogs, quietLogger, runWith } from './stage-harness.ts';

export interface InspectedRun {
  result: StageResult;
  logs: MemoryLogs;
  /** The engine's inspect output of every container the stage created, in creation order. */
  containers: Docker.ContainerInspectInfo[];
}

export interface InspectingHarness {
  run(stage: PlanStage, extra?: Partial<StageRun>): Promise<InspectedRun>;
}

export interface InspectingHooks {
  /** Runs just before each container is created, with the runner's create request. */
  beforeCreate?(spec: Docker.ContainerCreateOptions, docker: Docker): Promise<void>;
}

export function createInspectingHarness(
  instance: string,
  options: Partial<DockerRunnerOptions> = {},
  hooks: InspectingHooks = {},
): InspectingHarness {
  const docker = createTestDocker();
  const created: Docker.ContainerInspectInfo[] = [];
  const create = docker.createContainer.bind(docker) as (
    spec: Docker.ContainerCreateOptions,
  ) => Promise<Docker.Container>;
  docker.createContainer = (async (spec: Docker.ContainerCreateOptions) => {
    await hooks.beforeCreate?.(spec, docker);
    const container = await create(spec);
    created.push(await container.inspect());
    return container;
  }) as Docker['createContainer'];
  const runner = createDockerRunner({ docker, logger: quietLogger, options });
  return {
    async run(stage, extra = {}) {
      const before = created.length;
      const { result, logs } = await runWith(runner, instance, stage, extra);
      return { result, logs, containers: created.slice(before) };
    },
  };
}
