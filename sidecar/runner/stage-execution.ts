/**
 * One run of one stage: the steps of the plan as a dependency graph, with Drone's run policies, error policies,
 * detached steps, exit code 78, cancellation and timeout (spec §8). Docker work is delegated to the modules
 * beside this one; what is decided here is when a step runs and what its status becomes.
 */

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import type {
  Logger,
  PlanStep,
  StageOutcome,
  StageResult,
  StageRun,
  StepState,
  WorkspaceSource,
} from '../core/index.ts';
import { basicAuthorization } from '../git/index.ts';
import { containerSpec } from './container-spec.ts';
import { engineMessage } from './docker-errors.ts';
import { checkoutCommit } from './git-checkout.ts';
import { imageDigest } from './image-access.ts';
import { type EnsuredImage, ensureImage } from './image-pull.ts';
import { NETWORK_LABEL, stepLabels } from './labels.ts';
import { createMasker, type Masker } from './log-masker.ts';
import type { DockerRunnerOptions } from './options.ts';
import type { StageNetworks } from './stage-networks.ts';
import {
  combineStageResources,
  createStageVolumes,
  type StageResources,
  type StageVolumes,
} from './stage-resources.ts';
import type { StartedContainer } from './step-container.ts';
import { startContainer } from './step-container.ts';
import { secretLookup, stepEnvironment } from './step-environment.ts';
import { StepLog } from './step-log.ts';
import { untrustedSettings } from './trusted-settings.ts';
import { pendingState } from './unstarted-result.ts';
import { volumeDirectoryOnHost } from './volume-on-host.ts';
import { copyIntoWorkspace } from './workspace-copy.ts';

export interface StageExecutionDeps {
  docker: Docker;
  options: DockerRunnerOptions;
  logger: Logger;
  /** Where the stage's network comes from (a spare, or one made for it). */
  networks: StageNetworks;
  /** Aborted (with the reason as a message) when whoever watches the engine finds it gone: stop waiting on it. */
  engineLost?: AbortSignal;
}

/** Why the stage stopped scheduling steps; every one of these ends the stage killed except `exit-78`. */
type StopReason = { kind: 'cancelled' | 'timeout' | 'fail-fast' | 'exit-78' | 'left'; message: string };

const LEFT_MESSAGE = 'the sidecar stopped and left the stage running for recovery';

const FINAL = new Set(['success', 'failure', 'error', 'killed', 'skipped']);
const KILLED_EXIT_CODE = 137;

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** The clone step's checkout, begun before its turn: its log, and the directory once the commit is there. */
interface Checkout {
  log: StepLog;
  directory: Promise<string>;
  inVolume: boolean;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class StageExecution {
  readonly #deps: StageExecutionDeps;
  readonly #run: StageRun;
  readonly #states = new Map<string, StepState>();
  readonly #reports = new Map<string, Promise<void>>();
  readonly #running = new Map<string, StartedContainer>();
  readonly #detached = new Map<string, StartedContainer>();
  readonly #images = new Map<string, Promise<EnsuredImage>>();
  readonly #secret: (name: string) => string;
  #masker: Masker;
  /** What the masker hides: the secrets, the clone's credentials and every workload token issued so far. */
  readonly #maskedValues: string[];
  readonly #startedAt = Date.now();
  /** Aborted when the stage is being killed: stops work that is not a container (the host-side clone). */
  readonly #abort = new AbortController();
  #failedSteps: string[] = [];
  #stop: StopReason | null = null;
  #setupError: string | null = null;
  /**
   * The clone step's checkout, begun while the stage's network is made: straight into the workspace volume when
   * this process can write it (`inVolume`), else into a host directory copied in when the clone step runs.
   */
  #checkout: Checkout | null = null;
  #checkoutTaken = false;
  /** Set once the run's `leave` is aborted: from then on nothing is reported and nothing is killed. */
  #left = false;
  readonly #leaving = Promise.withResolvers<null>();

  constructor(deps: StageExecutionDeps, run: StageRun) {
    this.#deps = deps;
    this.#run = run;
    this.#secret = secretLookup(run.secrets);
    const masked = Object.values(run.secrets);
    const credentials = run.workspace.kind === 'git' ? run.workspace.credentials : null;
    if (credentials !== null)
      masked.push(credentials.password, basicAuthorization(credentials).slice('Basic '.length));
    this.#maskedValues = masked;
    this.#masker = createMasker(masked);
  }

  /** The step's workload identity tokens as `NAME=token`, masked from here on (its own log included). */
  async #workloadTokens(step: PlanStep): Promise<string[]> {
    const issue = this.#run.workloadToken;
    const variables: string[] = [];
    for (const { env, audience } of step.idTokens) {
      if (issue === undefined) throw new Error('this runner issues no workload identity tokens (id_tokens)');
      const token = await issue({ step: step.name, audience });
      this.#maskedValues.push(token);
      this.#masker = createMasker(this.#maskedValues);
      variables.push(`${env}=${token}`);
    }
    return variables;
  }

  /** Runs the stage; the caller removes its Docker resources afterwards, whatever happens here. */
  async execute(): Promise<StageResult> {
    const { stage, trusted } = this.#run;
    for (const step of this.#createdSteps()) {
      this.#report(pendingState(step));
    }
    const refused = trusted ? [] : untrustedSettings(stage);
    if (stage.error !== null) this.#setupError = stage.error;
    else if (refused.length > 0) {
      this.#setupError = `untrusted repository: ${refused.join('; ')} (allowed for trusted repositories only)`;
    } else await this.#executeSteps();
    return this.#finish();
  }

  async #executeSteps(): Promise<void> {
    const { signal, timeoutMs } = this.#run;
    const onAbort = () => this.#halt({ kind: 'cancelled', message: 'cancelled' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const { leave } = this.#run;
    const onLeave = () => this.#leave();
    leave?.addEventListener('abort', onLeave, { once: true });
    const { engineLost } = this.#deps;
    const onLost = () => {
      this.#setupError ??= `the Docker engine stopped answering: ${String(engineLost?.reason)}`;
      this.#halt({ kind: 'cancelled', message: this.#setupError });
    };
    engineLost?.addEventListener('abort', onLost, { once: true });
    const timer = setTimeout(
      () => this.#halt({ kind: 'timeout', message: `timed out after ${Math.round(timeoutMs / 1000)} s` }),
      timeoutMs,
    );
    try {
      if (leave?.aborted) onLeave();
      if (signal?.aborted) onAbort();
      if (engineLost?.aborted) onLost();
      if (this.#stop !== null) return;
      let resources: StageResources;
      const inVolume = this.#checkoutPathInVolume();
      if (inVolume === null) this.#checkout = this.#beginCheckout(null);
      try {
        const { docker } = this.#deps;
        const { ids, stage } = this.#run;
        const network = this.#deps.networks.take(ids);
        const volumes = createStageVolumes(docker, ids, stage);
        network.catch(() => {});
        volumes.catch(() => {});
        if (inVolume !== null) this.#checkout = await this.#beginCheckoutInVolume(volumes, inVolume);
        resources = await combineStageResources(network, volumes);
        const { workspace } = this.#run;
        // `exec` copies the directory even with clone disabled; a disabled clone of a git source means no checkout.
        if (workspace.kind === 'directory' && !stage.steps.some((step) => step.role === 'clone')) {
          await this.#copyIntoWorkspace(resources, workspace.path);
        }
      } catch (error) {
        this.#setupError = `cannot prepare the stage: ${errorMessage(error)}`;
        return;
      }
      await this.#walkGraph(resources);
      if (!this.#left) await this.#endDetached();
    } finally {
      // A checkout the clone step never took (the stage stopped or could not be prepared) is not kept.
      if (this.#checkout !== null && !this.#checkoutTaken) {
        const { inVolume } = this.#checkout;
        await this.#checkout.directory.then(
          (directory) => (inVolume ? undefined : rm(directory, { recursive: true, force: true })),
          () => {},
        );
        await this.#checkout.log.close();
      }
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      leave?.removeEventListener('abort', onLeave);
      engineLost?.removeEventListener('abort', onLost);
    }
  }

  /** Starts each step once everything it depends on has completed (detached steps complete when started). */
  async #walkGraph(resources: StageResources): Promise<void> {
    const done = new Map<string, Promise<void>>();
    for (const step of this.#run.stage.steps) {
      const parents = step.dependsOn.map((name) => done.get(name) ?? Promise.resolve());
      done.set(
        step.name,
        Promise.all(parents).then(() => this.#visit(step, resources)),
      );
    }
    await Promise.all(done.values());
  }

  async #visit(step: PlanStep, resources: StageResources): Promise<void> {
    if (step.runPolicy === 'never') return;
    const state = this.#states.get(step.name);
    if (state === undefined || FINAL.has(state.status)) return;
    if (this.#stop !== null) return this.#skip(step.name);
    const failing = this.#failedSteps.length > 0;
    if (step.runPolicy === 'on-failure' && !failing) return this.#skip(step.name);
    if (step.runPolicy === 'on-success' && failing) return this.#skip(step.name);
    try {
      if (step.role === 'clone') await this.#runClone(step, resources);
      else await this.#runContainer(step, resources);
    } catch (error) {
      this.#finishStep(step, { status: 'error', exitCode: null, error: errorMessage(error) });
    }
  }

  async #runClone(step: PlanStep, resources: StageResources): Promise<void> {
    const { workspace } = this.#run;
    if (workspace.kind === 'empty') return this.#skip(step.name);
    this.#update(step.name, { status: 'running', startedAt: Date.now() });
    this.#checkoutTaken = this.#checkout !== null;
    const log = this.#checkout?.log ?? this.#stepLog(step.name);
    let end: Pick<StepState, 'status' | 'exitCode' | 'error'>;
    try {
      if (workspace.kind === 'directory') {
        log.note(`drone-gogs: copying ${workspace.path} into the workspace`);
        await this.#copyIntoWorkspace(resources, workspace.path);
      } else await this.#cloneIntoWorkspace(resources, workspace, log);
      end = { status: 'success', exitCode: 0, error: null };
    } catch (error) {
      if (this.#left) return void (await log.close());
      const killed = this.#killing();
      const message = killed ? 'cancelled' : errorMessage(error);
      log.note(`drone-gogs: cannot prepare the workspace: ${message}`);
      end = {
        status: killed ? 'killed' : 'failure',
        exitCode: killed ? KILLED_EXIT_CODE : 1,
        error: killed ? null : message,
      };
    }
    // The whole log reaches the sink before the final status: whoever sees the status has every line.
    await log.close();
    this.#finishStep(step, end);
  }

  /**
   * Starts the clone step's host-side checkout at once when the stage begins with one (a git workspace, a clone
   * step that depends on nothing): the slow part of the clone then overlaps making the network and volume. The
   * step still turns `running` when its turn comes; its log gets git's lines from the start.
   */
  #beginCheckout(target: string | null): Checkout | null {
    const { workspace, stage } = this.#run;
    const clone = stage.steps.find((step) => step.role === 'clone');
    if (workspace.kind !== 'git' || clone === undefined) return null;
    if (clone.dependsOn.length > 0 || (clone.runPolicy !== 'always' && clone.runPolicy !== 'on-success'))
      return null;
    const log = this.#stepLog(clone.name);
    const directory = this.#checkOut(workspace, log, target);
    directory.catch(() => {});
    return { log, directory, inVolume: target !== null };
  }

  /**
   * The checkout into the workspace volume once it exists, where this process may write it; else on the host,
   * copied in later. Null when the volume could not be made (the stage then fails to prepare).
   */
  async #beginCheckoutInVolume(volumes: Promise<StageVolumes>, path: string): Promise<Checkout | null> {
    const { docker } = this.#deps;
    const { ids, stage } = this.#run;
    const volume = await volumes.then(
      (made) => made.workspaceVolume,
      () => null,
    );
    if (volume === null) return null;
    // Not knowing where the volume lives means a copy.
    const host = await volumeDirectoryOnHost(docker, ids, stage, volume).catch(() => null);
    return this.#beginCheckout(host === null ? null : join(host, path));
  }

  /**
   * The workspace's path inside its volume (the checkout goes there when the volume is writable from here);
   * null when the checkout is copied in: by setting, for a non-git workspace, or a path that is not plainly
   * inside the volume (Windows paths, `..`).
   */
  #checkoutPathInVolume(): string | null {
    const { workspace, stage } = this.#run;
    if (workspace.kind !== 'git' || !this.#deps.options.checkoutIntoVolume) return null;
    const { base, full } = stage.workspace;
    if (!posix.isAbsolute(base)) return null;
    const relative = posix.relative(base, full);
    return relative === '..' || relative.startsWith('../') || posix.isAbsolute(relative) ? null : relative;
  }

  /** Checks the commit out into `target` (inside the workspace volume) or, when null, a new host directory. */
  async #checkOut(
    source: Extract<WorkspaceSource, { kind: 'git' }>,
    log: StepLog,
    target: string | null = null,
  ): Promise<string> {
    const directory = target ?? (await mkdtemp(join(tmpdir(), 'drone-gogs-clone-')));
    if (target !== null) await mkdir(target, { recursive: true });
    try {
      const { depth, retries, skipVerify } = this.#run.stage.clone;
      await checkoutCommit({
        directory,
        remote: source.remote,
        ref: source.ref,
        sha: source.sha,
        depth,
        retries,
        skipVerify,
        trusted: this.#run.trusted,
        credentials: source.credentials,
        ...(source.cache === undefined ? {} : { cache: source.cache }),
        ...(source.cacheSettled === undefined ? {} : { cacheSettled: source.cacheSettled }),
        note: (line) => log.note(line),
        signal: this.#abort.signal,
      });
      return directory;
    } catch (error) {
      // What is in the volume goes with it.
      if (target === null) await rm(directory, { recursive: true, force: true });
      throw error;
    }
  }

  async #cloneIntoWorkspace(
    resources: StageResources,
    source: Extract<WorkspaceSource, { kind: 'git' }>,
    log: StepLog,
  ): Promise<void> {
    const directory = await (this.#checkout?.directory ?? this.#checkOut(source, log));
    if (this.#checkout?.inVolume) return;
    try {
      await this.#copyIntoWorkspace(resources, directory);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }

  async #copyIntoWorkspace(resources: StageResources, directory: string): Promise<void> {
    const { ids, stage } = this.#run;
    await copyIntoWorkspace(this.#deps.docker, ids, stage, resources.workspaceVolume, directory);
  }

  async #runContainer(step: PlanStep, resources: StageResources): Promise<void> {
    const { docker, options, logger } = this.#deps;
    this.#update(step.name, { status: 'running', startedAt: Date.now() });
    let tokens: string[] = [];
    let refused: string | null = null;
    try {
      tokens = await this.#workloadTokens(step);
    } catch (error) {
      refused = `cannot issue the step's id_tokens: ${errorMessage(error)}`;
    }
    const log = this.#stepLog(step.name);
    if (refused !== null) {
      log.note(`drone-gogs: ${refused}`);
      await log.close();
      return this.#finishStep(step, { status: 'error', exitCode: null, error: refused });
    }
    // A pull may take minutes: leaving does not wait for it.
    const ensured = await Promise.race([this.#ensureImage(step, log), this.#leaving.promise]);
    if (ensured === null) return void (await log.close());
    if (ensured.error !== undefined) {
      log.note(`drone-gogs: ${ensured.error}`);
      await log.close();
      return this.#finishStep(step, { status: 'error', exitCode: null, error: ensured.error });
    }
    if (this.#stop !== null) {
      await log.close();
      return this.#finishStep(step, { status: 'killed', exitCode: KILLED_EXIT_CODE, error: null });
    }
    const spec = containerSpec({
      stage: this.#run.stage,
      step,
      image: ensured.image.id,
      resources,
      options,
      trusted: this.#run.trusted,
      labels: { ...stepLabels(this.#run.ids, step.name), [NETWORK_LABEL]: resources.networkName },
      environment: stepEnvironment(
        this.#run.stage,
        step,
        {
          networkId: resources.networkId,
          workspaceVolume: resources.workspaceVolume,
          stageStarted: seconds(this.#startedAt),
          now: seconds(Date.now()),
          failedSteps: this.#failedSteps,
        },
        this.#secret,
      ).concat(tokens),
    });
    let container: StartedContainer;
    try {
      container = await startContainer(docker, spec, log, logger, step.name, this.#deps.engineLost);
    } catch (error) {
      const message = `cannot start the container: ${engineMessage(error)}`;
      log.note(`drone-gogs: ${message}`);
      await log.close();
      return this.#finishStep(step, { status: 'error', exitCode: null, error: message });
    }
    this.#running.set(step.name, container);
    this.#update(step.name, { digest: imageDigest(ensured.image, step.image) });
    // A stop that arrived while the container was being created has not seen it yet.
    if (this.#killing()) await container.kill();
    if (this.#left) return this.#leaveContainer(container, log);
    if (step.detach) {
      this.#detached.set(step.name, container);
      container.exited.then(
        (exit) => this.#finishDetached(step, exit.exitCode),
        (error: unknown) =>
          this.#finishStep(step, { status: 'error', exitCode: null, error: errorMessage(error) }),
      );
      return;
    }
    const exit = await Promise.race([container.exited, this.#leaving.promise]);
    if (exit === null) return this.#leaveContainer(container, log);
    this.#running.delete(step.name);
    if (this.#killing()) {
      return this.#finishStep(step, { status: 'killed', exitCode: KILLED_EXIT_CODE, error: null });
    }
    if (exit.oomKilled) {
      log.note('drone-gogs: the step ran out of memory and was killed');
      await log.flush();
    }
    this.#finishStep(step, {
      status: exit.exitCode === 0 || exit.exitCode === 78 ? 'success' : 'failure',
      exitCode: exit.exitCode,
      error: null,
    });
    if (exit.exitCode === 78) this.#halt({ kind: 'exit-78', message: `step "${step.name}" exited with 78` });
    else if (exit.exitCode !== 0 && step.errorPolicy === 'fail-fast') {
      this.#halt({ kind: 'fail-fast', message: `step "${step.name}" failed and has failure: fast` });
    }
  }

  #ensureImage(step: PlanStep, log: StepLog): Promise<EnsuredImage> {
    const key = `${step.pull} ${step.image}`;
    let pending = this.#images.get(key);
    if (pending === undefined) {
      const pullSecrets = this.#run.stage.imagePullSecrets
        .map((name) => this.#secret(name))
        .filter((value) => value !== '');
      const request = {
        image: step.image,
        policy: step.pull,
        pullSecrets,
        trusted: this.#run.trusted || !this.#deps.options.sharedImageCache,
      };
      pending = ensureImage(this.#deps.docker, request, (line) => log.note(line));
      this.#images.set(key, pending);
    }
    return pending;
  }

  /** A detached step that exits on its own keeps its exit code but never fails the stage. */
  #finishDetached(step: PlanStep, exitCode: number): void {
    this.#running.delete(step.name);
    this.#detached.delete(step.name);
    const state = this.#states.get(step.name);
    if (state === undefined || FINAL.has(state.status)) return;
    const killed = this.#killing();
    this.#update(step.name, {
      status: killed ? 'killed' : exitCode === 0 ? 'success' : 'failure',
      exitCode: killed ? KILLED_EXIT_CODE : exitCode,
      finishedAt: Date.now(),
    });
  }

  /** At the end of the stage, detached steps still running are marked successful, then killed (Drone's FinishAll). */
  async #endDetached(): Promise<void> {
    const killed = this.#killing();
    const still = [...this.#detached.entries()];
    for (const [name] of still) {
      if (FINAL.has(this.#states.get(name)?.status ?? 'skipped')) continue;
      this.#update(name, {
        status: killed ? 'killed' : 'success',
        exitCode: killed ? KILLED_EXIT_CODE : 0,
        finishedAt: Date.now(),
      });
    }
    await Promise.all(
      still.map(([name, container]) =>
        container.kill().catch((error: unknown) => {
          this.#deps.logger.warn('runner: cannot kill a detached step', {
            step: name,
            error: errorMessage(error),
          });
        }),
      ),
    );
    await Promise.all(still.map(([, container]) => container.exited.catch(() => undefined)));
  }

  /** What was read of a container this process leaves running reaches the sink; its log stays open in the store. */
  async #leaveContainer(container: StartedContainer, log: StepLog): Promise<void> {
    await container.leave();
    if (!log.writableEnded) await log.close();
  }

  /**
   * Stops following the stage and leaves it to recovery: nothing more is scheduled, reported or killed (the host
   * checkout, which is no container, is stopped); running containers are let go once what they printed so far is
   * in the sink.
   */
  #leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#stop ??= { kind: 'left', message: LEFT_MESSAGE };
    this.#abort.abort();
    this.#leaving.resolve(null);
    for (const container of this.#detached.values()) void container.leave();
  }

  #stepLog(step: string): StepLog {
    const { options, logger } = this.#deps;
    return new StepLog({
      step,
      sink: this.#run.logs,
      masker: this.#masker,
      logger,
      limitBytes: options.logLimitBytes,
      chunkLines: options.logChunkLines,
      flushMs: options.logFlushMs,
    });
  }

  /** Stops scheduling: pending steps are skipped; unless the stop is a successful exit 78, running ones are killed. */
  #halt(reason: StopReason): void {
    if (this.#stop !== null) return;
    this.#stop = reason;
    for (const [name, state] of this.#states) if (state.status === 'pending') this.#skip(name);
    if (reason.kind === 'exit-78') return;
    this.#abort.abort();
    for (const [name, container] of this.#running) {
      container.kill().catch((error: unknown) => {
        this.#deps.logger.warn('runner: cannot kill a step container', {
          step: name,
          error: errorMessage(error),
        });
      });
    }
  }

  /**
   * True once the stage is being stopped as killed (cancel, timeout, fail-fast), not by a successful exit 78 and
   * not left to recovery.
   */
  #killing(): boolean {
    return this.#stop !== null && this.#stop.kind !== 'exit-78' && !this.#left;
  }

  #skip(name: string): void {
    this.#update(name, { status: 'skipped' });
  }

  #finishStep(step: PlanStep, result: Pick<StepState, 'status' | 'exitCode' | 'error'>): void {
    this.#update(step.name, { ...result, finishedAt: Date.now() });
    const failed = result.status === 'failure' || result.status === 'error' || result.status === 'killed';
    if (failed && step.errorPolicy !== 'ignore' && !step.detach) this.#failedSteps.push(step.name);
  }

  #createdSteps(): PlanStep[] {
    return this.#run.stage.steps.filter((step) => step.runPolicy !== 'never');
  }

  #update(name: string, patch: Partial<StepState>): void {
    const state = this.#states.get(name);
    if (state === undefined) return;
    this.#report({ ...state, ...patch });
  }

  /**
   * Sends states of one step to the sink in order, never letting a failing sink stop the stage. Every error is
   * masked here, whichever path wrote it: Docker's and git's messages quote what they were given (the engine
   * answers an environment entry it refuses with the entry, secret value and all).
   */
  #report(unmasked: StepState): void {
    if (this.#left) return;
    const state =
      unmasked.error === null ? unmasked : { ...unmasked, error: this.#masker.mask(unmasked.error) };
    this.#states.set(state.name, state);
    const previous = this.#reports.get(state.name) ?? Promise.resolve();
    const snapshot = { ...state };
    this.#reports.set(
      state.name,
      previous.then(async () => {
        try {
          await this.#run.statuses.step(snapshot);
        } catch (error) {
          this.#deps.logger.error('runner: status sink failed', {
            step: state.name,
            error: errorMessage(error),
          });
        }
      }),
    );
  }

  async #finish(): Promise<StageResult> {
    for (const [name, state] of this.#states) if (!FINAL.has(state.status)) this.#skip(name);
    await Promise.all(this.#reports.values());
    if (this.#left) {
      return {
        outcome: 'error',
        error: LEFT_MESSAGE,
        steps: [...this.#states.values()].map((state) => ({ ...state })),
        startedAt: this.#startedAt,
        finishedAt: Date.now(),
        left: true,
      };
    }
    let outcome: StageOutcome;
    let error: string | null = null;
    if (this.#setupError !== null) {
      outcome = 'error';
      error = this.#setupError;
    } else if (this.#stop !== null && this.#stop.kind !== 'exit-78') {
      outcome = 'killed';
      error = this.#stop.message;
    } else outcome = this.#failedSteps.length > 0 ? 'failure' : 'success';
    return {
      outcome,
      error: error === null ? null : this.#masker.mask(error),
      steps: this.#createdSteps().flatMap((step) => {
        const state = this.#states.get(step.name);
        return state === undefined ? [] : [{ ...state }];
      }),
      startedAt: this.#startedAt,
      finishedAt: Date.now(),
    };
  }
}
