/**
 * The database as the queue of stages: every process claims from it, and nothing but the stored rows decides who
 * runs what. store/ implements it; queue/ drives it. Every method may be called by several processes at once.
 */
import type { BuildStatus, NewStep, Stage, StageStatus, Step } from './builds.ts';
import type { StepStatus } from './runner.ts';

export interface StepChange {
  status: StepStatus;
  exitCode: number | null;
  error: string | null;
  /** Milliseconds since the epoch; 0 while not started or not ended. */
  startedAt: number;
  finishedAt: number;
  /** The image the step runs (the runner's StepState `digest`); absent: the stored one stays. */
  digest?: string;
}

export interface StageEnd {
  status: StageStatus;
  error: string | null;
  exitCode: number;
  finishedAt: number;
  /** The engine that ran it; '' when it never ran. */
  machine: string;
}

/** A build's stages as queue decisions need them. */
export interface BuildProgressFacts {
  buildId: number;
  repoId: number;
  status: BuildStatus;
  stages: Stage[];
}

export interface StageQueueStore {
  /**
   * Pending stages that their limits let start now, oldest first (FIFO by creation), at most `limit`. A stage is
   * held back while its repository's `throttle` (stages of the repository) or its pipeline's `concurrency.limit`
   * (stages of that name in the repository) is used up by running stages and by older pending ones, which keeps
   * FIFO within a repository; held-back stages do not hide the stages of other repositories behind them.
   */
  pending(limit: number): Promise<Stage[]>;
  /**
   * Takes a pending stage for `holder` to run on `machine`: one conditional update on the stage's version, so of
   * several processes claiming the same stage exactly one gets true. The same update checks the limits of
   * {@link pending} against the stored rows, so processes claiming at once never exceed them. The build's status
   * follows through {@link applyProgress}.
   */
  claim(stage: Stage, holder: string, machine: string, now: number): Promise<boolean>;
  /** The step rows of a claimed stage, as its compiled plan has them (created when it starts, as on Drone). */
  addSteps(stage: Stage, steps: NewStep[]): Promise<Step[]>;
  /** Records a step's progress; a step that already ended keeps its end. */
  updateStep(stage: Stage, step: Step, change: StepChange): Promise<void>;
  /** Ends a running stage; no effect on a stage that already ended. */
  finishStage(stage: Stage, end: StageEnd): Promise<void>;
  /** The build's stages and status, to decide what its ended stages imply. */
  progressFacts(buildId: number): Promise<BuildProgressFacts | null>;
  /**
   * Applies those decisions: waiting stages to pending or skipped (only while still waiting), and the build's
   * status (with its finish time once final). Conditional, so applying them twice or late changes nothing.
   */
  applyProgress(
    facts: BuildProgressFacts,
    released: { id: number; status: 'pending' | 'skipped' }[],
    status: BuildStatus,
    now: number,
  ): Promise<void>;
  /** Stages marked running, with the instance that claimed each: what recovery checks against live instances. */
  running(): Promise<Stage[]>;
  /**
   * Ends a running stage whose process died: `error` with `reason`, its running steps `error` and its pending
   * ones `skipped`. No effect when the stage is no longer running.
   */
  abandon(stage: Stage, reason: string, now: number): Promise<void>;
  /**
   * Takes a running stage over from the instance that claimed it (which died) for `holder` to re-attach to: one
   * conditional update of `claimed_by` on the stage's version, so of several survivors exactly one gets the stage
   * back (with its new version); the others, and a stage that ended or was taken meanwhile, get null.
   */
  takeOver(stage: Stage, holder: string, now: number): Promise<Stage | null>;
  /** Builds that are not final but have a stage that is: candidates for {@link applyProgress}. */
  unsettledBuilds(limit: number): Promise<number[]>;
  /**
   * Moves stages of a build (an approval or a decline, and what it releases), each only while it still has the
   * status it is moved from, and sets the build's status as {@link applyProgress} does; one atomic batch with its
   * change-feed rows. Returns the ids of the stages that moved: fewer than asked when another writer (another
   * approver, a cancel) got there first.
   */
  moveStages(
    facts: BuildProgressFacts,
    moves: StageMove[],
    status: BuildStatus,
    now: number,
  ): Promise<number[]>;
  /**
   * Kills a build that has not ended, in one atomic batch: the build `killed` with `error` (null for none), its
   * stages that have not ended `killed`, their running steps `killed` and pending ones `skipped`. With
   * `unlessRunning`, a build that runs or has a stage running is left as it is. The process running a killed
   * stage finds out through {@link stillRunning} and stops it. Returns the build's status before, whether this
   * call killed it, and the stages that were running; null for an unknown build. Idempotent.
   */
  cancelBuild(
    buildId: number,
    error: string | null,
    now: number,
    options?: { unlessRunning?: boolean },
  ): Promise<{ before: BuildStatus; killed: boolean; running: Stage[] } | null>;
  /** Of these stages, the ids of those still `running` in the database (not killed, ended or taken over). */
  stillRunning(stageIds: readonly number[]): Promise<number[]>;
}

/** One stage's move by an approval or decline: from the status it was seen with to the next. */
export interface StageMove {
  id: number;
  from: StageStatus;
  to: StageStatus;
}
