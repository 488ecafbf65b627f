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
}

/**
 * Receives every status change of every step, in order per step: pending, then running, then a final status
 * (or pending then skipped). Called concurrently for different steps; a rejection is logged and ignored.
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
   * a log.
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
  /** The stage ends killed after this long (the repository's timeout). */
  timeoutMs: number;
}

export interface StageResult {
  outcome: StageOutcome;
  /** Why the stage is `error` or `killed` (`cancelled`, `timed out after 60 s`, untrusted settings); null otherwise. */
  error: string | null;
  /** Final state of every created step (run policy other than never), in plan order. */
  steps: StepState[];
  startedAt: number;
  finishedAt: number;
}

/** Selects labelled resources for removal: every given field must match. */
export interface ResourceSelector {
  instance?: string;
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
   * network and volume of the run is removed, whatever the outcome. Every outcome is part of the result: a failing
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
}
