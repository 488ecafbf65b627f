/**
 * The contract between pipeline/ (which reads a `.drone.yml` and decides what runs) and runner/ (which runs it).
 *
 * pipeline/ turns a file plus a {@link BuildContext} into a {@link Plan}: one {@link PlanStage} per docker
 * pipeline whose `trigger` matched, each holding its steps fully compiled the way drone-runner-docker compiles
 * them (image normalised, commands turned into the script, environment assembled, `when` evaluated).
 * runner/ executes a stage without reading YAML again. Plans are plain data: JSON-serialisable, so trigger/ may
 * store one with the stage row and the runner may pick it up later or in another process.
 *
 * Pure types; nothing here imports from the project.
 */

/** Drone's build events. Gogs produces push, pull_request and tag; the API produces custom; cron comes from schedules. */
export type BuildEvent = 'push' | 'pull_request' | 'tag' | 'promote' | 'rollback' | 'cron' | 'custom';
/** Every {@link BuildEvent}, in Drone's order. */
export const BUILD_EVENTS: readonly BuildEvent[] = [
  'push',
  'pull_request',
  'tag',
  'promote',
  'rollback',
  'cron',
  'custom',
];

/**
 * Everything about one build that conditions, substitution and the environment read. Field names follow what
 * they mean in Drone, not Gogs: `branch` is Drone's `build.Target` (for a pull request the branch it merges
 * into; for a Gogs tag the tag name), `sourceBranch` is `build.Source`.
 *
 * Built by trigger/ from a hook event, by the CLI from flags. Times are unix seconds.
 */
export interface BuildContext {
  /** A {@link BuildEvent}; kept as a string because conditions compare it textually. */
  event: string;
  /** `opened`/`synchronized` for pull requests, `create` for Gogs tags, '' otherwise. */
  action: string;
  /** Full git ref: `refs/heads/x`, `refs/tags/v1`, `refs/pull/7/head`. Tag and pull request number derive from it. */
  ref: string;
  /** The branch `branch:` conditions compare with (Drone's build target). */
  branch: string;
  /** Pull request source branch; equals `branch` for pushes. */
  sourceBranch: string;
  /** Promote/rollback environment (`target:` conditions, DRONE_DEPLOY_TO); '' otherwise. */
  deployTarget: string;
  deployId: number;
  /** Cron job name for `event: cron` (`cron:` conditions); '' otherwise. */
  cron: string;
  commit: {
    /** The commit built (Drone's `after`); '' when unknown. */
    sha: string;
    before: string;
    message: string;
    /** Pull request title (DRONE_PULL_REQUEST_TITLE). */
    title: string;
    /** Commit or compare URL. */
    link: string;
    author: { login: string; name: string; email: string; avatar: string };
  };
  build: {
    number: number;
    /** Build a promotion or rollback was created from; 0 otherwise. */
    parent: number;
    created: number;
    /** 0 while not started: the environment then uses {@link BuildContext.now}. */
    started: number;
    finished: number;
    /** `@hook`, `@cron` or the login of the user who started the build. */
    trigger: string;
    debug: boolean;
    /** Raw build status (CI_BUILD_STATUS); 'pending' or 'running' for a new build. */
    status: string;
    /** Names of stages already failed in this build (DRONE_FAILED_STAGES, and DRONE_BUILD_STATUS=failure). */
    failedStages: string[];
    /** Custom build parameters; exported verbatim as environment variables and usable in `${...}`. */
    params: Record<string, string>;
  };
  repo: {
    owner: string;
    name: string;
    /** Web URL of the repository. */
    link: string;
    httpUrl: string;
    sshUrl: string;
    defaultBranch: string;
    /** 'git'. */
    scm: string;
    visibility: 'public' | 'private' | 'internal';
    private: boolean;
    /** May use privileged containers, host volumes, network_mode and the other trusted-only settings. */
    trusted: boolean;
    /** Requires a valid `kind: signature` document; otherwise stages start blocked. */
    protected: boolean;
  };
  /** The sidecar as Drone's "system": `instance:` conditions compare with `host`. */
  system: { proto: string; host: string; version: string };
  /** Files changed by the build (for `paths:` conditions); null when unknown, which makes `paths:` match. */
  changedPaths: string[] | null;
  /** Current time, passed in so that planning stays pure. */
  now: number;
  /** The runner that will execute: its name (DRONE_STAGE_MACHINE) and its global variables (DRONE_RUNNER_ENVIRON). */
  runner: { name: string; environ: Record<string, string> };
  /** Proxy variables copied from the runner's environment (http_proxy, HTTPS_PROXY, no_proxy, ...). */
  proxy: Record<string, string>;
}

/** Mirrors drone/runner-go's run policies. `never` steps are not created: no container, no step row, no number. */
export type RunPolicy = 'on-success' | 'on-failure' | 'always' | 'never';

/** `fail` stops the stage as failed, `ignore` lets it pass, `fail-fast` cancels the stage (which ends killed). */
export type ErrorPolicy = 'fail' | 'fail-fast' | 'ignore';

/**
 * `default` pulls before creating only when the normalised tag is `:latest`; every policy except `never` pulls
 * and retries once when creating the container fails with "image not found".
 */
export type PullPolicy = 'default' | 'always' | 'if-not-exists' | 'never';

/** A variable whose value is a secret, resolved by the runner at start (empty when the secret does not exist). */
export interface SecretRef {
  /** Environment variable name in the container (PLUGIN_X for settings). */
  env: string;
  /** Secret name as written in `from_secret`. */
  secret: string;
}

export interface VolumeMount {
  /** A {@link PlanVolume} name of the stage. */
  name: string;
  path: string;
}

export interface PlanVolume {
  name: string;
  /** `temp` volumes live as long as the stage; `memory` becomes a tmpfs. `host` is a bind mount (trusted only). */
  kind: 'temp' | 'host';
  medium: '' | 'memory';
  /** Bytes; 0 = no limit. Only for `temp` with medium memory. */
  sizeLimit: number;
  /** Host path for `host` volumes; '' otherwise. */
  hostPath: string;
}

export interface PlanStep {
  name: string;
  /** `clone` is the implicit first step; services are detached containers started before steps. */
  role: 'clone' | 'service' | 'step';
  /** 1-based among the steps that are created (run policy other than `never`), clone first; null when never. */
  number: number | null;
  /** Fully qualified reference, e.g. `docker.io/library/golang:1.22`. */
  image: string;
  pull: PullPolicy;
  /** Container entrypoint and command; empty arrays mean the image's own. */
  entrypoint: string[];
  command: string[];
  /**
   * The step's own variables (its `environment`, PLUGIN_* settings, DRONE_SCRIPT, DRONE_STEP_NAME/NUMBER), set
   * over {@link PlanStage.environment}. The container's environment is: the stage's, minus
   * {@link PlanStep.unsetVariables}, plus these, then the secrets. Values are never empty (Drone drops those).
   */
  environment: Record<string, string>;
  /** Stage variables this step removes by setting them to '' (Drone does not pass empty variables). */
  unsetVariables: string[];
  /** Applied last: a secret wins over a variable of the same name, as in Docker with Drone's env order. */
  secrets: SecretRef[];
  /**
   * Workload identity tokens the step asked for (`id_tokens:`): a signed JWT for each audience, issued when the
   * step starts and set in `env`, masked like a secret.
   */
  idTokens: { env: string; audience: string }[];
  runPolicy: RunPolicy;
  errorPolicy: ErrorPolicy;
  /** Step names this step waits for, after Drone's serial/graph rules (clone included when cloning). */
  dependsOn: string[];
  /** Started and left running; its exit code is ignored. Services are always detached. */
  detach: boolean;
  privileged: boolean;
  /**
   * Privileged only because the image is a Docker-in-Docker plugin on the admin's list, used as is (no commands,
   * entrypoint or mounts). Drone grants this to every repository, trusted or not; the pipeline did not ask.
   */
  autoPrivileged: boolean;
  /** Container user; '' = image default. */
  user: string;
  /** '' = image default (services without commands keep the image's own). */
  workingDir: string;
  /** '' = the stage network, where the step is reachable by its name. */
  networkMode: string;
  dns: string[];
  dnsSearch: string[];
  extraHosts: string[];
  /** Mounts of the stage's volumes; the workspace volume is implied, mounted at the workspace base. */
  volumes: VolumeMount[];
  /** Host devices (`devices:` naming a host volume under /dev). */
  devices: { name: string; path: string }[];
  /** Container limits in bytes; 0 = the runner's default. CPU limits come from the runner only. */
  resources: { memLimit: number; memSwapLimit: number; shmSize: number };
}

export interface PlanStage {
  /** 1-based, in file order among the stages of this plan. */
  number: number;
  name: string;
  kind: 'pipeline';
  type: 'docker';
  /** OS and architecture default to linux/amd64; variant and version are empty unless set. */
  platform: { os: string; arch: string; variant: string; version: string };
  /** Runner labels the stage requires (exact equality with the runner's labels). */
  node: Record<string, string>;
  /** Max stages of this name running per repository; 0 = unlimited. */
  concurrencyLimit: number;
  /** Names of stages to wait for, after skipped pipelines have been bypassed. */
  dependsOn: string[];
  /** When the stage waits on dependencies: run if the build is passing / failing at that point. */
  onSuccess: boolean;
  onFailure: boolean;
  /** `blocked` when the repository is protected and the signature does not verify. */
  initialStatus: 'pending' | 'waiting_on_dependencies' | 'blocked';
  /** Where the repository lives in every container: the workspace volume is mounted at `base`, work runs in `full`. */
  workspace: { base: string; path: string; full: string };
  /**
   * Variables every step of the stage gets, already layered as Drone does (runner globals, build parameters,
   * pipeline `environment`, proxy, DRONE_* / CI_*, git identity, workspace) with empty values dropped. Build and
   * stage variables are final: a step cannot override them (Drone re-applies them when a step starts).
   */
  environment: Record<string, string>;
  clone: { disabled: boolean; depth: number; retries: number; skipVerify: boolean; trace: boolean };
  /** Clone, services, then steps: the spec order Drone uses for numbering and serial dependencies. */
  steps: PlanStep[];
  volumes: PlanVolume[];
  /** Secret names holding docker config.json credentials for pulling images. */
  imagePullSecrets: string[];
  /**
   * Names the runner adds at run time and which the plan cannot know: DRONE_DOCKER_NETWORK_ID,
   * DRONE_DOCKER_VOLUME_ID, DRONE_STEP_NAME/NUMBER refresh, DRONE_NETRC_* and live DRONE_BUILD_/STAGE_ status.
   */
  runtimeVariables: string[];
  /**
   * Set when the stage cannot run (substitution, parse or lint failure after substitution): the runner marks
   * the stage `error` with this message before creating any container.
   */
  error: string | null;
}

/** Secrets declared in the file (`kind: secret`), for the runner's lookup after repository secrets. */
export interface FileSecret {
  name: string;
  /** base64(nonce || AES-256-GCM ciphertext) encrypted with the repository key; '' when absent. */
  data: string;
  /** External secret reference; null when absent. */
  get: { path: string; name: string; key: string } | null;
}

export interface Plan {
  /** Stages in file order; empty when no pipeline's trigger matched (Drone then creates no build). */
  stages: PlanStage[];
  fileSecrets: FileSecret[];
}
