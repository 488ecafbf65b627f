/**
 * What runner tests share: plans compiled from `.drone.yml` text by the pipeline engine, in-memory sinks, and a
 * runner bound to a per-file instance id.
 */

import { afterAll, beforeAll } from 'vitest';
import type {
  Logger,
  LogLine,
  LogSink,
  PlanStage,
  Runner,
  StageResult,
  StageRun,
  StatusSink,
  StepState,
  WorkspaceSource,
} from '../../sidecar/core/index.ts';
import { createBuildContext, parsePipelineFile, planPipelines } from '../../sidecar/pipeline/index.ts';
import { createDockerRunner, type DockerRunnerOptions } from '../../sidecar/runner/index.ts';
import { createTestDocker, removeInstanceResources, testInstanceId } from '../support/docker.ts';
import { ensureBusyboxImage } from '../support/images.ts';

export const IMAGE = 'drone-gogs-test/busybox';

export interface PlanInput {
  trusted?: boolean;
  event?: string;
  branch?: string;
}

/** The first stage Drone would run for `yaml` on a push to main. */
export function stageFrom(yaml: string, input: PlanInput = {}): PlanStage {
  const file = parsePipelineFile(yaml, { fileName: '.drone.yml' });
  const context = createBuildContext({
    event: input.event ?? 'push',
    branch: input.branch ?? 'main',
    repo: 'octo/hello',
    trusted: input.trusted ?? false,
    sha: 'a'.repeat(40),
  });
  const result = planPipelines(file, context);
  const stage = result.plan.stages[0];
  if (result.error !== null || stage === undefined) {
    throw new Error(`no stage: ${result.error ?? 'no pipeline matched'} ${JSON.stringify(result.problems)}`);
  }
  return stage;
}

export class MemoryLogs implements LogSink {
  readonly lines = new Map<string, LogLine[]>();
  chunks = 0;

  write(step: string, lines: readonly LogLine[]): void {
    this.chunks++;
    const list = this.lines.get(step) ?? [];
    list.push(...lines);
    this.lines.set(step, list);
  }

  text(step: string): string {
    return (this.lines.get(step) ?? []).map((line) => line.text).join('\n');
  }
}

export class MemoryStatuses implements StatusSink {
  readonly history: StepState[] = [];

  step(state: StepState): void {
    this.history.push(state);
  }

  /** Statuses of one step in the order reported. */
  of(name: string): string[] {
    return this.history.filter((state) => state.name === name).map((state) => state.status);
  }
}

export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface Harness {
  run(
    stage: PlanStage,
    extra?: Partial<StageRun>,
  ): Promise<{ result: StageResult; logs: MemoryLogs; statuses: MemoryStatuses }>;
}

let builds = 0;

/** Runs the stage on any {@link Runner} (a pool, say) under a fresh build id of the instance. */
export async function runWith(
  runner: Runner,
  instance: string,
  stage: PlanStage,
  extra: Partial<StageRun> = {},
): Promise<{ result: StageResult; logs: MemoryLogs; statuses: MemoryStatuses }> {
  const logs = new MemoryLogs();
  const statuses = new MemoryStatuses();
  const workspace: WorkspaceSource = { kind: 'empty' };
  const result = await runner.runStage({
    ids: { instance, repo: 'octo/hello', build: String(++builds), stage: '1' },
    stage,
    secrets: {},
    trusted: false,
    workspace,
    logs,
    statuses,
    timeoutMs: 60_000,
    ...extra,
  });
  return { result, logs, statuses };
}

export function createHarness(instance: string, options: Partial<DockerRunnerOptions> = {}): Harness {
  const runner = createDockerRunner({ docker: createTestDocker(), logger: quietLogger, options });
  return { run: (stage, extra = {}) => runWith(runner, instance, stage, extra) };
}

/**
 * What a runner test file shares: the engine, an instance id of its own and a harness on it. The busybox image
 * is built before the file's tests; everything labelled with the id is removed after them.
 */
export function dockerTestFile(name: string) {
  const docker = createTestDocker();
  const instance = testInstanceId(name);
  beforeAll(async () => {
    await ensureBusyboxImage();
  });
  afterAll(async () => {
    await removeInstanceResources(docker, instance);
  });
  return { docker, instance, harness: createHarness(instance) };
}

/** `name: status` of every step of a result, for compact assertions. */
export function outcomes(result: StageResult): Record<string, string> {
  return Object.fromEntries(result.steps.map((step) => [step.name, step.status]));
}
