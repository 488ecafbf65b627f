/**
 * Several Docker engines behind one {@link RunnerPool}: each stage runs at once on the engine it names (the queue
 * placed it) or on the fitting engine with the most room, on that engine's Docker runner; nothing waits here, as
 * the database is the queue. Health checks with backoff decide which engines may get stages; an engine that stops
 * answering while a stage runs turns that stage into an error naming the engine, whatever the steps reported.
 */
import type Docker from 'dockerode';
import type {
  EngineNeed,
  EngineState,
  Logger,
  PlanStage,
  Platform,
  ResourceSelector,
  Runner,
  RunnerPool,
  StageRun,
  StageRunIds,
} from '../core/index.ts';
import { describeNeed, engineFit, goArch, isAppError, noEngineMessage, placeStage } from '../core/index.ts';
import { connectDocker, type DockerAccess } from './docker-connection.ts';
import { engineMessage } from './docker-errors.ts';
import { createDockerRunner, runDockerStage } from './docker-runner.ts';
import { selectorOf } from './labels.ts';
import { DEFAULT_RUNNER_OPTIONS, type DockerRunnerOptions } from './options.ts';
import { freshStageNetworks, type StageNetworks, spareStageNetworks } from './stage-networks.ts';
import { recoverDockerStage } from './stage-recovery.ts';
import { hasLabelled } from './stage-resources.ts';
import { unstartedResult } from './unstarted-result.ts';

/** One build host as configured: where it is, how many stages it takes at once, what it is. */
export interface DockerEngineConfig extends DockerAccess {
  name: string;
  /** A {@link connectDocker} address; '' = the local socket. */
  address: string;
  /** Maximum stages running at once on this engine. */
  capacity: number;
  /** Read from the engine (`docker version`) when not given. */
  platform?: Platform;
  /** Matched against a stage's `node:` (every key of the stage must be here with the same value). */
  labels?: Record<string, string>;
}

/** An engine with its client made; tests and {@link connectEngines} build these. */
export interface PoolEngine {
  name: string;
  docker: Docker;
  capacity: number;
  platform?: Platform;
  labels?: Record<string, string>;
}

export interface RunnerPoolOptions {
  /** Between health checks of an engine that answers. */
  healthIntervalMs: number;
  /** First and longest wait between checks of an engine that does not answer (doubling in between). */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** A ping slower than this counts as no answer. */
  pingTimeoutMs: number;
}

export const DEFAULT_POOL_OPTIONS: RunnerPoolOptions = {
  healthIntervalMs: 10_000,
  backoffMinMs: 1_000,
  backoffMaxMs: 60_000,
  pingTimeoutMs: 5_000,
};

export interface RunnerPoolDeps {
  engines: PoolEngine[];
  logger: Logger;
  /** Settings of every engine's Docker runner. */
  runner?: Partial<DockerRunnerOptions>;
  pool?: Partial<RunnerPoolOptions>;
  /** Added to the warning about an engine that does not answer: where its address is configured. */
  fixHint?: string;
  /**
   * Keep a spare network per engine for the next stage (stage-networks.ts): for `serve`, which runs stage after
   * stage; not for `exec`, whose one stage would leave a spare behind.
   */
  spareNetworks?: boolean;
}

/** Clients for the configured engines; throws AppError CONFIG_INVALID for a bad address or file. */
export function connectEngines(configs: readonly DockerEngineConfig[]): PoolEngine[] {
  return configs.map((config) => ({
    name: config.name,
    docker: connectDocker(config.address, config),
    capacity: config.capacity,
    ...(config.platform === undefined ? {} : { platform: config.platform }),
    ...(config.labels === undefined ? {} : { labels: config.labels }),
  }));
}

function needOf(stage: PlanStage): EngineNeed {
  return { os: stage.platform.os, arch: stage.platform.arch, labels: stage.node };
}

function messageOf(error: unknown): string {
  return engineMessage(error) || String(error);
}

interface Slot {
  name: string;
  docker: Docker;
  runner: Runner;
  networks: StageNetworks;
  capacity: number;
  labels: Record<string, string>;
  platform: Platform | null;
  /** null until the first health check ends. */
  up: boolean | null;
  /** Stages this pool runs or recovers here. */
  running: number;
  lastError: string | null;
  /** Bumped each time the engine is found down: a stage that saw it change lost its engine at some point. */
  outages: number;
  failures: number;
  checking: Promise<string | null> | null;
  timer: NodeJS.Timeout | undefined;
  /** Aborted when the engine is found down, so that its stages stop waiting on it; renewed when it is back. */
  lost: AbortController;
  /** Removals that could not reach the engine, applied when it answers again. */
  missedRemovals: Map<string, ResourceSelector>;
}

export function createRunnerPool(deps: RunnerPoolDeps): RunnerPool {
  const options: RunnerPoolOptions = { ...DEFAULT_POOL_OPTIONS, ...deps.pool };
  const { logger } = deps;
  const slots: Slot[] = deps.engines.map((engine) => ({
    name: engine.name,
    docker: engine.docker,
    runner: createDockerRunner({ docker: engine.docker, logger, options: deps.runner ?? {} }),
    networks: deps.spareNetworks
      ? spareStageNetworks(engine.docker, logger)
      : freshStageNetworks(engine.docker),
    capacity: engine.capacity,
    labels: { ...engine.labels },
    platform: engine.platform ?? null,
    up: null,
    running: 0,
    lastError: null,
    outages: 0,
    failures: 0,
    checking: null,
    timer: undefined,
    lost: new AbortController(),
    missedRemovals: new Map(),
  }));
  const runnerOptions: DockerRunnerOptions = { ...DEFAULT_RUNNER_OPTIONS, ...deps.runner };
  let closed = false;

  function schedule(slot: Slot): void {
    if (closed) return;
    clearTimeout(slot.timer);
    const delay = slot.up
      ? options.healthIntervalMs
      : Math.min(options.backoffMaxMs, options.backoffMinMs * 2 ** Math.max(0, slot.failures - 1));
    slot.timer = setTimeout(() => void check(slot), delay);
    slot.timer.unref();
  }

  /** Pings the engine (reading its platform the first time); resolves with why it failed, or null. */
  function check(slot: Slot): Promise<string | null> {
    slot.checking ??= (async () => {
      let failure: string | null = null;
      // A refused host key says itself how to pin the key; "check that dockerd runs" would mislead.
      let hint = deps.fixHint;
      try {
        await withTimeout(slot.docker.ping(), options.pingTimeoutMs);
        if (slot.platform === null) {
          const version = await withTimeout(slot.docker.version(), options.pingTimeoutMs);
          slot.platform = { os: version.Os, arch: goArch(version.Arch) };
        }
      } catch (error) {
        failure = messageOf(error);
        if (isAppError(error, 'SSH_HOST_KEY_UNKNOWN')) hint = undefined;
      }
      slot.checking = null;
      if (failure === null) markUp(slot);
      else markDown(slot, failure, hint);
      schedule(slot);
      return failure;
    })();
    return slot.checking;
  }

  function markUp(slot: Slot): void {
    const wasDown = slot.up === false;
    slot.up = true;
    slot.failures = 0;
    slot.lastError = null;
    if (slot.lost.signal.aborted) slot.lost = new AbortController();
    if (wasDown) logger.info('runner: Docker engine answers again', { engine: slot.name });
    const missed = [...slot.missedRemovals.values()];
    slot.missedRemovals.clear();
    for (const selector of missed) {
      slot.runner.removeResources(selector).catch((error: unknown) => {
        remember(slot, selector);
        logger.warn('runner: cannot remove what a stage left on an engine', {
          engine: slot.name,
          error: messageOf(error),
        });
      });
    }
  }

  function markDown(slot: Slot, failure: string, fix: string | undefined): void {
    if (slot.up !== false) {
      slot.outages++;
      slot.lost.abort(`Docker engine "${slot.name}" does not answer: ${failure}`);
      logger.warn('runner: Docker engine does not answer; no new stages go there', {
        engine: slot.name,
        error: failure,
        ...(fix === undefined ? {} : { fix }),
      });
    }
    slot.up = false;
    slot.failures++;
    slot.lastError = failure;
  }

  /** The engine the run goes to now, or why it cannot run. */
  function place(run: StageRun): Slot | string {
    const need = needOf(run.stage);
    if (run.engine === undefined) {
      const placed = placeStage(
        engineStates(),
        need,
        (name) => slots.find((slot) => slot.name === name)?.running ?? 0,
      );
      if (placed === 'none') return noEngineMessage(engineStates(), need);
      if (placed === 'full') return `no Docker engine for ${describeNeed(need)} that answers has room now`;
      return slots.find((slot) => slot.name === placed.engine) ?? noEngineMessage(engineStates(), need);
    }
    const slot = slots.find((each) => each.name === run.engine);
    if (slot === undefined)
      return `there is no Docker engine "${run.engine}" here (engines: ${slots.map((each) => each.name).join(', ')})`;
    if (engineFit(slot, need) !== 'yes')
      return `Docker engine "${slot.name}" cannot run a stage for ${describeNeed(need)}`;
    if (slot.up !== true)
      return `Docker engine "${slot.name}" does not answer: ${slot.lastError ?? 'not checked yet'}`;
    if (slot.running >= slot.capacity)
      return `Docker engine "${slot.name}" is full (${slot.capacity} stage(s) at once)`;
    return slot;
  }

  for (const slot of slots) void check(slot);

  function engineStates(): EngineState[] {
    return slots.map((slot) => ({
      name: slot.name,
      up: slot.up === true,
      platform: slot.platform === null ? null : { ...slot.platform },
      labels: { ...slot.labels },
      capacity: slot.capacity,
      running: slot.running,
      lastError: slot.lastError,
    }));
  }

  return {
    async runStage(run) {
      // An engine not checked yet may fit: its first check (already under way) decides.
      await Promise.all(slots.filter((slot) => slot.up === null).map((slot) => check(slot)));
      const placed = place(run);
      if (typeof placed === 'string') return unstartedResult(run, 'error', placed, Date.now());
      const slot = placed;
      slot.running++;
      const outagesBefore = slot.outages;
      try {
        const result = await runDockerStage(
          { docker: slot.docker, logger, options: runnerOptions, networks: slot.networks },
          run,
          slot.lost.signal,
        );
        if (result.left) return { ...result, engine: slot.name };
        let lost = slot.outages !== outagesBefore ? (slot.lastError ?? 'no answer') : null;
        if (lost === null && result.outcome !== 'success') lost = await check(slot);
        if (lost === null) return { ...result, engine: slot.name };
        remember(slot, selectorOf(run.ids));
        return {
          ...result,
          outcome: 'error',
          error: `Docker engine "${slot.name}" stopped answering during the stage: ${lost}`,
          engine: slot.name,
        };
      } finally {
        slot.running--;
      }
    },

    async recoverStage(recovery) {
      const selector = selectorOf(recovery.ids);
      for (const slot of slots) {
        if (slot.up !== true) continue;
        const here = await hasLabelled(slot.docker, selector).catch(() => false);
        if (!here) continue;
        slot.running++;
        try {
          const result = await recoverDockerStage(
            { docker: slot.docker, logger, options: runnerOptions },
            recovery,
          );
          return { ...result, engine: slot.name };
        } finally {
          slot.running--;
        }
      }
      const down = slots.filter((slot) => slot.up !== true).map((slot) => slot.name);
      const unreachable = down.length === 0 ? '' : ` (not answering: ${down.join(', ')})`;
      return unstartedResult(
        { stage: recovery.stage, statuses: { step: () => undefined } },
        'error',
        `the process running the stage (instance ${recovery.ids.instance}) stopped, and nothing of the stage is left on the Docker engines that answer${unreachable}`,
        Date.now(),
      );
    },

    async removeResources(selector) {
      let removed = 0;
      for (const slot of slots) {
        if (slot.up !== true) {
          remember(slot, selector);
          continue;
        }
        try {
          removed += await slot.runner.removeResources(selector);
        } catch (error) {
          remember(slot, selector);
          logger.warn('runner: cannot remove resources on an engine; retried when it answers', {
            engine: slot.name,
            error: messageOf(error),
          });
        }
      }
      return removed;
    },

    async resourceOwners() {
      const owners = new Set<string>();
      for (const slot of slots) {
        if (slot.up !== true) continue;
        try {
          for (const owner of await slot.runner.resourceOwners()) owners.add(owner);
        } catch (error) {
          logger.warn('runner: cannot list resources on an engine', {
            engine: slot.name,
            error: messageOf(error),
          });
        }
      }
      return [...owners].sort();
    },

    async resourceStages() {
      const found = new Map<string, StageRunIds>();
      for (const slot of slots) {
        if (slot.up !== true) continue;
        try {
          for (const ids of await slot.runner.resourceStages()) found.set(JSON.stringify(ids), ids);
        } catch (error) {
          logger.warn('runner: cannot list resources on an engine', {
            engine: slot.name,
            error: messageOf(error),
          });
        }
      }
      return [...found.values()];
    },

    async checkEngines() {
      await Promise.all(slots.map((slot) => check(slot)));
      return engineStates();
    },

    engines: engineStates,

    async close() {
      closed = true;
      for (const slot of slots) clearTimeout(slot.timer);
      await Promise.all(slots.map((slot) => slot.networks.close()));
    },
  };
}

function remember(slot: Slot, selector: ResourceSelector): void {
  slot.missedRemovals.set(JSON.stringify(selector), selector);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
