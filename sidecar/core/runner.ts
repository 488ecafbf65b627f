/**
 * The seam between the queue (which decides that a stage runs now) and an executor (which runs its containers).
 * The executor receives a compiled {@link PlanStage} and never reads YAML; it reports through two sinks and
 * returns the stage's result. runner/ holds the Docker implementation.
 */
import type { PlanStage } from './plan.ts';

/** Drone's step statuses. `pending` is reported once for every created step before anything runs. */
export type StepStatus = 'pending' | 'running' | 'success' | 'failure' | 'error' | 'killed' | 'skipped';

/** How a stage can end. `killed`: cancelled, timed out or stopped by a `failure: fail-fast` step. */
export type StageOutcome = 'success' | 'failure' | 'error' | 'killed';

/** Who a stage run belongs to. Every Docker resource of the run carries these as labels. */
export interface StageRunIds {
  /** The sidecar process that runs the stage (resources of dead instances are reaped by this value). */
  instance: string;
  /** `owner/name`. */
  repo: string;
  build: string;
  stage: string;
}

export interface LogLine {
  /** 0-based position of the line in its step's log. */
  number: number;
  /** One line without its newline, secrets already replaced by `******`. */
  text: string;
  /** Seconds since the step started. */
  time: number;
}

/**
 * Receives step output in chunks of whole lines, in order per step. Lines of different steps may interleave.
 * The runner waits for each call to settle before sending the next chunk of the same step (back-pressure), and
 * may call concurrently for different steps. A rejected write is reported once on the runner's logger and
 * further output of that step is dropped; the step itself keeps running.
 */
export interface LogSink {
  write(step: string, lines: readonly LogLine[]): Promise<void> | void;
  /**
   * Called once after the last write of a step's log (also when the step printed nothing), so that live readers
   * can stop waiting. Awaited like a write; optional for sinks that do not care.
   */
  end?(step: string): Promise<void> | void;
}

export interface StepState {
  name: string;
  /** The plan's step number (clone = 1). */
  number: number;
  status: StepStatus;
  /** Set once the container exited (137 for killed steps); null otherwise. */
  exitCode: number | null;
  /** Milliseconds since the epoch; null until running. */
  startedAt: number | null;
  finishedAt: number | null;
  /** Why a step ended `error` (image missing, container could not be created); null otherwise. */
  error: string | null;
  /**
   * The image that runs: its repository digest (the `RepoDigests` entry of the step image's repository,
   * `registry/repository@sha256:…`) when it came from a registry, else its image id (`sha256:…`). Reported with
   * `running` once the step's container started, and kept in later states; absent before, and for a step that
   * runs no container of its image (the clone step runs git on the runner's host).
   */
  digest?: string;
}

/**
 * Receives every status change of every step, in order per step: pending, then running, then a final status
 * (or pending then skipped). A running step is reported running again once its container started, with its
 * `digest`. Called concurrently for different steps; a rejection is logged and ignored.
 */
export interface StatusSink {
  step(state: StepState): Promise<void> | void;
}

/** Where the workspace comes from before the first step runs. */
export type WorkspaceSource =
  /** An empty workspace volume; a clone step of the plan is then reported skipped. */
  | { kind: 'empty' }
  /** A host directory copied into the workspace volume (`drone-gogs exec`, tests); the clone step reports the copy. */
  | { kind: 'directory'; path: string }
  /**
   * The commit cloned with git on the runner's host and copied into the workspace by the clone step (depth,
   * retries and skip_verify from the plan). Credentials never reach a container, the workspace's .git/config or
   * a log. A ref git's rules refuse or a commit that is not a full SHA fails the clone step before git runs.
   */
  | {
      kind: 'git';
      /** HTTP(S) clone URL without credentials. */
      remote: string;
      /** `refs/heads/main`, `refs/tags/v1`, `refs/pull/7/head`. */
      ref: string;
      /** Commit to check out; '' = the head of `ref`. Pull requests get the head commit, not a merge. */
      sha: string;
      /** HTTP Basic credentials for the remote (what Drone puts in the netrc); null for public repositories. */
      credentials: { username: string; password: string } | null;
      /**
       * A bare repository on the runner's host that may hold the commit already (the trigger's git cache,
       * {@link GitRemote.cachedRepository}): the clone fetches the commit from it, without credentials, and from
       * `remote` when it cannot. The workspace is the same either way. Never a path a pusher chose.
       */
      cache?: string;
      /** Resolves when no fetch into `cache` is under way in this process ({@link GitRemote.cacheSettled}). */
      cacheSettled?: () => Promise<void>;
    };

export interface StageRun {
  ids: StageRunIds;
  stage: PlanStage;
  /**
   * Resolved secrets by name (repository, organisation and file secrets), already filtered by the exposure
   * rules. Steps get the ones they reference (`from_secret`, matched case-insensitively, missing → empty).
   * Every value is masked in every step's log, whether referenced or not.
   */
  secrets: Readonly<Record<string, string>>;
  /** The repository may use privileged containers, host volumes, devices, network_mode and the other trusted-only settings. */
  trusted: boolean;
  workspace: WorkspaceSource;
  logs: LogSink;
  statuses: StatusSink;
  /** Aborting cancels the stage: running containers are killed, pending steps skipped, the stage ends killed. */
  signal?: AbortSignal;
  /**
   * Aborted when this process goes away while the stage runs (a stop's deadline passed): the runner stops
   * following at once and leaves the stage on its engine for recovery to take over. Running step containers, the
   * network and the volume stay; what the steps printed so far reaches the log sink; no status is reported from
   * then on (steps not started stay as they are); the result is `left`.
   */
  leave?: AbortSignal;
  /**
   * Issues a step's workload identity token (`id_tokens:`) for an audience, when the step starts; throws with a
   * message for the step's log when it may not have one. Without it, a step that asks for one errors.
   */
  workloadToken?: (request: { step: string; audience: string }) => Promise<string>;
  /** The stage ends killed after this long (the repository's timeout), counted from when it starts on its engine. */
  timeoutMs: number;
  /**
   * The pool's engine to run on (the queue claimed the stage for it): the stage runs there at once, or ends
   * `error` at once when that engine is unknown, does not fit the stage, does not answer or is full. Absent: the
   * fitting engine with the most room now, or `error` at once when none has room.
   */
  engine?: string;
}

export interface StageResult {
  outcome: StageOutcome;
  /** Why the stage is `error` or `killed` (`cancelled`, `timed out after 60 s`, untrusted settings); null otherwise. */
  error: string | null;
  /** Final state of every created step (run policy other than never), in plan order. */
  steps: StepState[];
  startedAt: number;
  finishedAt: number;
  /** The name of the Docker engine that ran the stage, when the runner is a pool of several; absent otherwise. */
  engine?: string;
  /**
   * The runner stopped following the stage because the run's `leave` was aborted: the stage goes on on its
   * engine, nothing of it was removed, and `outcome` and `steps` are only what was known then; the caller leaves
   * the stage `running` for recovery rather than recording an end.
   */
  left?: true;
}

/** Selects labelled resources for removal: every given field must match. */
export interface ResourceSelector {
  instance?: string;
  /** `owner/name`. */
  repo?: string;
  build?: string;
  stage?: string;
}

/**
 * Runs stages. Called by the queue's workers (and by `drone-gogs exec`) once a stage is claimed; several stages
 * may run concurrently on one Runner.
 */
export interface Runner {
  /**
   * Runs every step of the stage, reports them through the sinks and returns the result after every container,
   * network and volume of the run is removed, whatever the outcome (except a `left` one: see the run's `leave`). Every outcome is part of the result: a failing
   * step, a missing image, untrusted settings, a plan error, an unreachable engine (all `error` or `failure`),
   * cancellation and timeout (`killed`); it does not reject. Not idempotent: calling it twice runs the stage twice,
   * so the caller claims the stage first. Safe to call concurrently for different stages.
   */
  runStage(run: StageRun): Promise<StageResult>;
  /**
   * Removes the containers, networks and volumes this runner labelled that match the selector, e.g. those of an
   * instance that died. Idempotent: what is already gone is not an error. Returns how many it removed.
   * Removing the resources of a stage that is still running kills it.
   */
  removeResources(selector: ResourceSelector): Promise<number>;
  /**
   * Instance ids that own labelled containers, networks or volumes on the engine. With the list of live
   * instances, recovery at start removes what dead ones left behind:
   * `for (const id of await runner.resourceOwners()) if (!live.has(id)) await runner.removeResources({ instance: id })`.
   */
  resourceOwners(): Promise<string[]>;
  /**
   * The stages that own labelled containers, networks or volumes on the engine (the ids they carry, each once;
   * '' for an id a resource lacks): what reaping goes by, leaving out the stages recovery may still re-attach.
   */
  resourceStages(): Promise<StageRunIds[]>;
  /**
   * Takes over a stage whose runner process died while its containers may still run (found by the stage's
   * labels). `follow`: every step container is re-attached and waited for; its log continues at
   * `logPositions[step]` after a note saying that output printed while nobody was attached is lost (step containers
   * keep no log of their own); steps that never started are not run, which makes the stage `error`. `abandon`:
   * everything is removed and the stage ends `error`. Reports `running` (for steps it follows) and final statuses
   * only. Removes every resource of the stage before it resolves; does not reject. Nothing left of the stage →
   * `error` at once. Call it once per dead stage, after claiming it; never for a stage a live process still runs.
   */
  recoverStage(recovery: StageRecovery): Promise<StageResult>;
}

/** A stage to take over after its process died: the ids it ran under (the dead instance's), and where to report. */
export interface StageRecovery {
  ids: StageRunIds;
  stage: PlanStage;
  /** The stage's secrets again, to mask what the steps print from now on. */
  secrets: Readonly<Record<string, string>>;
  /** The number the next log line of each step gets (what the store holds: `lastLine + 1`); 0 when absent. */
  logPositions?: Readonly<Record<string, number>>;
  /**
   * Steps that had ended before the process died, as stored (the clone step, finished steps whose containers are
   * gone): kept as they are, neither followed nor reported again, and not counted as steps that never started.
   */
  endedSteps?: readonly StepState[];
  logs: LogSink;
  statuses: StatusSink;
  mode: 'follow' | 'abandon';
  /** Aborting kills what is still running; the stage ends killed. */
  signal?: AbortSignal;
  /** As a run's `leave`: stop following, leave what runs for the next recovery, report nothing more. */
  leave?: AbortSignal;
}

/** An operating system and CPU architecture in Go's words (`linux`, `amd64`, `arm64`). */
export interface Platform {
  os: string;
  arch: string;
}

/** What a pool knows of one of its engines, for status pages and tests. */
export interface EngineState {
  name: string;
  /** Answering its health check. An engine that is down gets no new stages. */
  up: boolean;
  /** Configured, or read from the engine once it answered; null while it never has. */
  platform: Platform | null;
  labels: Readonly<Record<string, string>>;
  /** Maximum stages at once, and how many this process runs there now (other processes count their own). */
  capacity: number;
  running: number;
  /** Why the last health check failed; null while up. */
  lastError: string | null;
}

/**
 * A {@link Runner} over several Docker engines. `runStage` runs the stage at once on the engine the run names (the
 * queue picked it by {@link placeStage} and claimed the stage for it), or without a name on the fitting engine
 * with the most room, and names it in the result's `engine`; it never waits for room: no fitting engine with room
 * → outcome `error` at once, saying why. An engine that stops answering during a stage
 * ends that stage `error` with a message naming the engine, and gets no new stage until it answers again.
 * `removeResources` and `resourceOwners` cover the engines that answer; removals an engine missed while down
 * are applied when it answers again.
 */
export interface RunnerPool extends Runner {
  engines(): EngineState[];
  /** Checks every engine now (joining a check under way) and then returns {@link engines}. */
  checkEngines(): Promise<EngineState[]>;
  /** Stops the health checks and removes spare networks; stages still running go on. Idempotent. */
  close(): Promise<void>;
}
