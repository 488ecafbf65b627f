/**
 * Builds as Drone's API shows them, and the service that reads them for the CLI, the API, the remote CLI and the
 * status site. Field names are Drone's json names (harness/drone core/build.go and core/stage.go, drone/drone-go
 * drone/types.go for steps); times are Drone's unix seconds, 0 when not yet. Every field is always present, with
 * Drone's zero value when we have nothing: a client reading Drone's omitempty fields reads ours the same way.
 */
import type { BuildStatus, StageStatus } from './builds.ts';
import type { BuildEvent } from './plan.ts';
import type { Principal } from './principal.ts';
import type { LogLine, StepStatus } from './runner.ts';

/** A build without its stages, as Drone lists them. */
export interface DroneBuild {
  id: number;
  repo_id: number;
  /** Who or what started it: `@hook`, `@cron`, or the user who asked for it (custom builds, restarts, promotions). */
  trigger: string;
  number: number;
  /** The number of the build this one restarts; 0 otherwise. */
  parent: number;
  status: BuildStatus;
  error: string;
  event: BuildEvent;
  action: string;
  link: string;
  /** The commit's time in Drone; 0 here, as the commit time is not kept. */
  timestamp: number;
  title: string;
  message: string;
  before: string;
  after: string;
  ref: string;
  /** A pull request's head repository when it is a fork (`owner/name`), '' otherwise. */
  source_repo: string;
  source: string;
  target: string;
  author_login: string;
  author_name: string;
  author_email: string;
  author_avatar: string;
  sender: string;
  params: Record<string, string>;
  cron: string;
  deploy_to: string;
  deploy_id: number;
  debug: boolean;
  started: number;
  finished: number;
  created: number;
  updated: number;
  version: number;
}

/** A step as Drone shows it inside its stage. */
export interface DroneStep {
  id: number;
  /** Drone's name for the id of the step's stage (drone-go's `StageID` carries the json name `step_id`). */
  step_id: number;
  number: number;
  name: string;
  status: StepStatus;
  error: string;
  errignore: boolean;
  /** 0 until the container exited. */
  exit_code: number;
  started: number;
  stopped: number;
  version: number;
  depends_on: string[];
  image: string;
  detached: boolean;
  schema: string;
}

export interface DroneStage {
  id: number;
  repo_id: number;
  build_id: number;
  number: number;
  name: string;
  kind: string;
  type: string;
  status: StageStatus;
  error: string;
  errignore: boolean;
  exit_code: number;
  /** The engine that ran it; '' until claimed. */
  machine: string;
  os: string;
  arch: string;
  variant: string;
  kernel: string;
  limit: number;
  throttle: number;
  started: number;
  stopped: number;
  created: number;
  updated: number;
  version: number;
  on_success: boolean;
  on_failure: boolean;
  depends_on: string[];
  labels: Record<string, string>;
  steps: DroneStep[];
}

/** What ran, exactly: not part of Drone's API, so under a key of its own. */
export interface BuildProvenance {
  /** The commit built (Drone's `after`). */
  commit: string;
  /** SHA-256 of the pipeline file as read at the commit, hex; '' when there was none. */
  config_sha256: string;
  /** Every step of every stage, in stage then step order. */
  steps: {
    /** The number of the step's stage (step numbers start again in each stage). */
    stage: number;
    number: number;
    name: string;
    /** The image as the pipeline names it. */
    image: string;
    /** The image that ran: its repository digest, or its image id; '' until the step ran. */
    digest: string;
    /** The engine its stage ran on; '' until claimed. */
    machine: string;
  }[];
}

/** One build with its stages and their steps, as Drone answers `GET /api/repos/{owner}/{name}/builds/{number}`. */
export interface DroneBuildDetail extends DroneBuild {
  stages: DroneStage[];
  provenance: BuildProvenance;
}

/**
 * Which builds to list, as a caller sends it (the CLI's options, the API's query): unchecked, so that the
 * service refuses what is wrong with one message for every caller.
 */
export interface BuildListQuery {
  /** Builds into this branch (Drone's `target`: a pull request's base). */
  branch?: string;
  /** One of Drone's events: push, pull_request, tag, promote, rollback, cron, custom. */
  event?: string;
  /** One of Drone's statuses: pending, running, success, failure, error, killed, … */
  status?: string;
  /** Builds per page, 1 to 100; 25 when not given. */
  limit?: number;
  /** From 1; 1 when not given. */
  page?: number;
}

/**
 * Builds: one service for the CLI and the API. Repositories are named OWNER/NAME, matched without regard
 * to case as Gogs does. Reads change nothing; every method may be called concurrently, also by several processes
 * on one database (writes are conditional on what they read). Writes name the actor in their log line.
 */
export interface BuildService {
  /**
   * The builds of a repository, newest first, without their stages. Throws BAD_REQUEST for a query out of range
   * (an event or status that is not Drone's word, a limit outside 1 to 100, a page below 1) and NOT_FOUND for a
   * repository drone-gogs does not know.
   */
  list(actor: Principal, fullName: string, query: BuildListQuery): Promise<DroneBuild[]>;
  /** One build with its stages and steps. Throws BAD_REQUEST for a number below 1, NOT_FOUND for an unknown one. */
  info(actor: Principal, fullName: string, number: number): Promise<DroneBuildDetail>;
  /**
   * A step's log lines numbered above `afterLine` (-1: from the start), as stored (secrets already masked), and
   * whether the step has ended, after which no line is added. The stage and the step by number, as Drone's CLI
   * names them. NOT_FOUND for a build, stage or step that does not exist.
   */
  log(actor: Principal, fullName: string, at: StepAddress, afterLine?: number): Promise<StepLog>;
  /**
   * Lets blocked stages run: the one numbered `stage`, or every blocked stage of the build (as Drone's API
   * approves a build). Each goes back to the status it was created with (pending, or waiting on its
   * dependencies); the build's status follows. BAD_REQUEST when nothing of it is blocked, NOT_FOUND for an
   * unknown build or stage. Approving what another caller approved at the same moment changes nothing twice.
   */
  approve(actor: Principal, fullName: string, number: number, stage?: number): Promise<DroneBuildDetail>;
  /**
   * Refuses blocked stages (one, or all of the build): they end `declined`, stages waiting on them are skipped,
   * and the build ends `declined` once nothing else is left to run. Errors as for {@link approve}.
   */
  decline(actor: Principal, fullName: string, number: number, stage?: number): Promise<DroneBuildDetail>;
  /**
   * A new build (the repository's next number, `parent` the old one) from the same origin, the same stored
   * pipeline file and changed files, planned again; never blocked for approval. Its key is the restart's own,
   * made from `requestId` when given (a retried request with the same id gives the same build back), else from
   * a fresh one. BAD_REQUEST for a build that is blocked or declined.
   */
  restart(
    actor: Principal,
    fullName: string,
    number: number,
    options?: { requestId?: string },
  ): Promise<DroneBuildDetail>;
  /**
   * Kills a build that has not ended: it and its stages that have not ended become `killed` at once; the process
   * running one of its stages (this or another) stops it and removes its containers. BAD_REQUEST for a build
   * that already ended.
   */
  cancel(actor: Principal, fullName: string, number: number): Promise<DroneBuildDetail>;
}

/** A step as Drone's CLI addresses it: `OWNER/NAME BUILD STAGE STEP`. */
export interface StepAddress {
  build: number;
  stage: number;
  step: number;
}

export interface StepLog {
  lines: LogLine[];
  ended: boolean;
}
