/**
 * Taking over a stage whose process died: its step containers are found by label and either followed to their
 * end (re-attached, exit code waited for) or removed. The dependency graph is not resumed: a step that had not
 * started when the process died is not run here.
 *
 * Step containers log to the attach stream only (the `none` driver), so what they printed while no process was
 * attached cannot be read back: the log says so and continues. Docker's `local` driver would keep a file to replay
 * with `logs()`, but every line then passes through that driver, which sets the pace of the output: 100 MB of
 * 11-byte lines attached at 7.8–8.2 MB/s with `local` (16 or 40 MB × 3 files, uncompressed; 7.9 MB/s with its
 * defaults) against 66–73 MB/s with `none`, 3 runs each on the same engine, and the runner itself fell to 0.10× the
 * bare-attach floor its benchmark holds it to (goal ≥ 0.5×). Those default files kept only the last 27 MB of the
 * 100 MB, and `logs()` read them back at 2.5 MB/s.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger, PlanStep, StageOutcome, StageRecovery, StageResult, StepState } from '../core/index.ts';
import { engineMessage, isConflictOrNotModified, isNotFound } from './docker-errors.ts';
import { cachedImage, imageDigest } from './image-access.ts';
import { labelFilter, STEP_LABEL, selectorOf } from './labels.ts';
import { createMasker, type Masker } from './log-masker.ts';
import type { DockerRunnerOptions } from './options.ts';
import { removeLabelled } from './stage-resources.ts';
import { StepLog } from './step-log.ts';

export interface StageRecoveryDeps {
  docker: Docker;
  logger: Logger;
  options: DockerRunnerOptions;
}

const KILLED_EXIT_CODE = 137;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function timeOf(value: string | undefined): number | null {
  const time = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(time) || time <= 0 ? null : time;
}

/** The ids of the stage's started step containers by step name; whether any resource of the stage is left at all. */
async function findStage(
  docker: Docker,
  recovery: StageRecovery,
): Promise<{ containers: Map<string, string>; anything: boolean }> {
  const filters = JSON.stringify(labelFilter(selectorOf(recovery.ids)));
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const byStep = new Map<string, string>();
  for (const info of containers) {
    const step = info.Labels?.[STEP_LABEL];
    // A container never started (the process died between create and start; the workspace helper) never ran.
    if (step !== undefined && info.State !== 'created') byStep.set(step, info.Id);
  }
  const anything = containers.length + networks.length + (volumes.Volumes ?? []).length > 0;
  return { containers: byStep, anything };
}

/**
 * The id_tokens the process that died issued to the stage's steps, read back from their containers' environment:
 * they were masked only in that process's memory, and the steps may still print them.
 */
async function workloadTokensOf(
  docker: Docker,
  steps: readonly PlanStep[],
  containers: ReadonlyMap<string, string>,
): Promise<string[]> {
  const tokens: string[] = [];
  for (const step of steps) {
    const id = containers.get(step.name);
    if (id === undefined || step.idTokens.length === 0) continue;
    const env = await docker
      .getContainer(id)
      .inspect()
      .then((info) => info.Config.Env ?? [])
      .catch((): string[] => []);
    for (const { env: name } of step.idTokens) {
      const value = env.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1);
      if (value) tokens.push(value);
    }
  }
  return tokens;
}

export async function recoverDockerStage(
  deps: StageRecoveryDeps,
  recovery: StageRecovery,
): Promise<StageResult> {
  const startedAt = Date.now();
  const { docker, logger } = deps;
  const fields = { repo: recovery.ids.repo, build: recovery.ids.build, stage: recovery.ids.stage };
  const created = recovery.stage.steps.filter((step) => step.runPolicy !== 'never');
  // Engine messages quote what they were given, secrets included: every error is masked on its way out. The
  // steps' workload identity tokens join once the containers that hold them are found.
  let masker = createMasker(Object.values(recovery.secrets));
  // Leaving (this process goes away too): stop following, report nothing more, remove nothing.
  let left = false;
  const leaving = Promise.withResolvers<null>();
  const letGo: (() => void)[] = [];
  const onLeave = () => {
    left = true;
    leaving.resolve(null);
    for (const release of letGo) release();
  };
  const report = async (unmasked: StepState) => {
    if (left) return;
    const state = unmasked.error === null ? unmasked : { ...unmasked, error: masker.mask(unmasked.error) };
    try {
      await recovery.statuses.step({ ...state });
    } catch (error) {
      logger.error('runner: status sink failed', { ...fields, step: state.name, error: messageOf(error) });
    }
  };
  const blank = (step: PlanStep): StepState => ({
    name: step.name,
    number: step.number ?? 0,
    status: 'skipped',
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    error: null,
  });

  let found: Awaited<ReturnType<typeof findStage>>;
  try {
    found = await findStage(docker, recovery);
  } catch (error) {
    const message = `cannot look for the stage on the Docker engine: ${engineMessage(error)}`;
    return finish('error', message, created.map(blank));
  }
  masker = createMasker([
    ...Object.values(recovery.secrets),
    ...(await workloadTokensOf(docker, created, found.containers)),
  ]);
  if (!found.anything) {
    return finish(
      'error',
      `the process running the stage (instance ${recovery.ids.instance}) stopped, and nothing of the stage is left on the Docker engine`,
      created.map(blank),
      false,
    );
  }

  if (recovery.mode === 'abandon') {
    const abandoned = `the process running the stage (instance ${recovery.ids.instance}) stopped; its containers were removed`;
    const steps: StepState[] = [];
    for (const step of created) {
      const id = found.containers.get(step.name);
      if (id === undefined) {
        steps.push(blank(step));
        continue;
      }
      // A step that ended before the process died keeps its exit; one still running ends with the stage.
      const state = await docker
        .getContainer(id)
        .inspect()
        .then(
          (info): StepState =>
            info.State.Running
              ? { ...blank(step), status: 'error', finishedAt: Date.now(), error: abandoned }
              : {
                  ...blank(step),
                  status: info.State.ExitCode === 0 || info.State.ExitCode === 78 ? 'success' : 'failure',
                  exitCode: info.State.ExitCode,
                  startedAt: timeOf(info.State.StartedAt),
                  finishedAt: timeOf(info.State.FinishedAt),
                },
          (): StepState => ({ ...blank(step), status: 'error', finishedAt: Date.now(), error: abandoned }),
        );
      await report(state);
      steps.push(state);
    }
    return finish('error', abandoned, steps);
  }

  const ended = new Map((recovery.endedSteps ?? []).map((state) => [state.name, state]));
  const followers = new Map<string, Promise<StepState>>();
  const killers: (() => Promise<void>)[] = [];
  const onAbort = () => {
    for (const kill of killers) void kill();
  };
  recovery.signal?.addEventListener('abort', onAbort, { once: true });
  recovery.leave?.addEventListener('abort', onLeave, { once: true });
  try {
    for (const step of created) {
      const id = found.containers.get(step.name);
      if (id === undefined || ended.has(step.name)) continue;
      const container = docker.getContainer(id);
      killers.push(async () => {
        try {
          await container.kill();
        } catch (error) {
          if (!isNotFound(error) && !isConflictOrNotModified(error)) throw error;
        }
      });
      followers.set(step.name, followStep(step, container, masker));
    }
    if (recovery.leave?.aborted) onLeave();
    if (recovery.signal?.aborted) onAbort();
    const states = new Map<string, StepState>();
    for (const [name, follower] of followers) states.set(name, await follower);
    if (left) {
      return {
        outcome: 'error',
        error: 'the sidecar stopped and left the stage running for recovery',
        steps: created.map((step) => states.get(step.name) ?? ended.get(step.name) ?? blank(step)),
        startedAt,
        finishedAt: Date.now(),
        left: true,
      };
    }
    const steps = created.map((step) => states.get(step.name) ?? ended.get(step.name) ?? blank(step));
    for (const state of steps) if (!followers.has(state.name) && !ended.has(state.name)) await report(state);

    const notStarted = created
      .filter((step) => !followers.has(step.name) && !ended.has(step.name))
      .map((step) => step.name);
    const failed = created.some((step) => {
      const state = states.get(step.name) ?? ended.get(step.name);
      return (
        !step.detach &&
        step.errorPolicy !== 'ignore' &&
        state !== undefined &&
        ['failure', 'error', 'killed'].includes(state.status)
      );
    });
    if (recovery.signal?.aborted) return await finish('killed', 'cancelled', steps);
    if (notStarted.length > 0) {
      return await finish(
        'error',
        `the process running the stage (instance ${recovery.ids.instance}) stopped before ${notStarted.map((name) => `"${name}"`).join(', ')} started; the steps that had started were followed to their end, the others were not run`,
        steps,
      );
    }
    return await finish(failed ? 'failure' : 'success', null, steps);
  } finally {
    recovery.signal?.removeEventListener('abort', onAbort);
    recovery.leave?.removeEventListener('abort', onLeave);
  }

  /** Re-attaches to one step container: its output from now on, then its exit. */
  async function followStep(step: PlanStep, container: Docker.Container, mask: Masker): Promise<StepState> {
    let state: StepState = { ...blank(step), status: 'running' };
    try {
      const info = await container.inspect();
      // The container names the image it was created from by id; its registry digests come with the image.
      const image = await cachedImage(docker, info.Image).catch(() => null);
      state = {
        ...state,
        startedAt: timeOf(info.State.StartedAt) ?? startedAt,
        ...(image === null ? {} : { digest: imageDigest(image, step.image) }),
      };
      const log = new StepLog({
        step: step.name,
        sink: recovery.logs,
        masker: mask,
        logger,
        limitBytes: deps.options.logLimitBytes,
        chunkLines: deps.options.logChunkLines,
        flushMs: deps.options.logFlushMs,
        firstLine: recovery.logPositions?.[step.name] ?? 0,
        startedAt: state.startedAt ?? startedAt,
      });
      // Attaching to a container that has stopped is refused: it ended while nobody was attached.
      const stream = info.State.Running
        ? ((await container
            .attach({ stream: true, stdout: true, stderr: true })
            .catch(() => null)) as Duplex | null)
        : null;
      const stopWaiting = new AbortController();
      const waited = container.wait({ condition: 'not-running', abortSignal: stopWaiting.signal });
      waited.catch(() => {});
      letGo.push(() => {
        stopWaiting.abort();
        stream?.destroy();
      });
      if (left) {
        stopWaiting.abort();
        stream?.destroy();
        await log.close();
        return state;
      }
      if (stream === null) {
        log.note(
          'drone-gogs: the process running this step stopped; the step ended meanwhile and what it printed since is lost',
        );
        await log.close();
      } else if (step.detach) {
        // A detached step still running is done as far as the stage goes (Drone's FinishAll); removal stops it.
        stream.destroy();
        await log.close();
        state = { ...state, status: 'success', exitCode: 0, finishedAt: Date.now() };
        await report(state);
        return state;
      } else {
        await report(state);
        log.note(
          'drone-gogs: the process running this step stopped; following the step again from here (what it printed in between is lost)',
        );
        await log.follow(stream, (error) => {
          logger.warn('runner: log stream of a recovered step broke', {
            ...fields,
            step: step.name,
            error: messageOf(error),
          });
        });
      }
      const exit = (await Promise.race([waited, leaving.promise])) as { StatusCode: number } | null;
      if (exit === null) return state;
      const { StatusCode } = exit;
      const killed = recovery.signal?.aborted === true;
      state = {
        ...state,
        status: killed ? 'killed' : StatusCode === 0 || StatusCode === 78 ? 'success' : 'failure',
        exitCode: killed ? KILLED_EXIT_CODE : StatusCode,
        finishedAt: timeOf((await container.inspect()).State.FinishedAt) ?? Date.now(),
      };
    } catch (error) {
      state = {
        ...state,
        status: 'error',
        exitCode: null,
        finishedAt: Date.now(),
        error: `cannot re-attach to the step: ${engineMessage(error)}`,
      };
    }
    await report(state);
    return state;
  }

  async function finish(
    outcome: StageOutcome,
    error: string | null,
    steps: StepState[],
    remove = true,
  ): Promise<StageResult> {
    if (remove) {
      await removeLabelled(docker, selectorOf(recovery.ids)).catch((removal: unknown) => {
        logger.error('runner: cannot remove the resources of a recovered stage', {
          ...fields,
          error: masker.mask(messageOf(removal)),
        });
      });
    }
    return {
      outcome,
      error: error === null ? null : masker.mask(error),
      steps: steps.map((step) => (step.error === null ? step : { ...step, error: masker.mask(step.error) })),
      startedAt,
      finishedAt: Date.now(),
    };
  }
}
