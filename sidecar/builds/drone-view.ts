import {
  type Build,
  type BuildProvenance,
  type BuildWithStages,
  buildTrigger,
  type DroneBuild,
  type DroneBuildDetail,
  type DroneStage,
  type DroneStep,
  isCommitSha,
  type Repo,
  type Stage,
  type Step,
} from '../core/index.ts';

/** What the view needs of the build's repository. */
export type DroneViewRepo = Pick<Repo, 'htmlUrl'>;

/**
 * The one mapping from stored builds to Drone's API JSON, for the CLI, the API and the status site. Copied field
 * by field, so that what is internal (idempotency keys, changed paths, the pipeline file) never rides along.
 */
export function droneBuild(build: Build, repo: DroneViewRepo): DroneBuild {
  const { origin } = build;
  return {
    id: build.id,
    repo_id: build.repoId,
    trigger: buildTrigger(build),
    number: build.number,
    parent: build.parent,
    status: build.status,
    error: build.error ?? '',
    event: origin.event,
    action: origin.action,
    link: origin.link !== '' ? origin.link : commitLink(repo, origin.after),
    timestamp: 0,
    title: origin.title,
    message: origin.message,
    before: origin.before,
    after: origin.after,
    ref: origin.ref,
    source_repo: origin.fork,
    source: origin.source,
    target: origin.target,
    author_login: origin.authorLogin,
    author_name: origin.authorName,
    author_email: origin.authorEmail,
    author_avatar: origin.authorAvatar,
    sender: origin.sender,
    params: { ...origin.params },
    cron: origin.cron,
    deploy_to: origin.deployTo,
    deploy_id: 0,
    debug: false,
    started: seconds(build.startedAt),
    finished: seconds(build.finishedAt),
    created: seconds(build.createdAt),
    updated: seconds(build.updatedAt),
    version: build.version,
  };
}

/** A build with its stages, their steps and what ran, as Drone answers for one build. */
export function droneBuildDetail(found: BuildWithStages, repo: DroneViewRepo): DroneBuildDetail {
  return {
    ...droneBuild(found.build, repo),
    stages: found.stages.map(droneStage),
    provenance: provenanceOf(found),
  };
}

export function droneStage(stage: Stage & { steps: Step[] }): DroneStage {
  return {
    id: stage.id,
    repo_id: stage.repoId,
    build_id: stage.buildId,
    number: stage.number,
    name: stage.name,
    kind: stage.kind,
    type: stage.type,
    status: stage.status,
    error: stage.error ?? '',
    errignore: stage.errIgnore,
    exit_code: stage.exitCode,
    machine: stage.machine,
    os: stage.os,
    arch: stage.arch,
    variant: stage.variant,
    kernel: '',
    limit: stage.limit,
    throttle: 0,
    started: seconds(stage.startedAt),
    stopped: seconds(stage.finishedAt),
    created: seconds(stage.createdAt),
    updated: seconds(stage.updatedAt),
    version: stage.version,
    on_success: stage.onSuccess,
    on_failure: stage.onFailure,
    depends_on: [...stage.dependsOn],
    labels: { ...stage.labels },
    steps: stage.steps.map(droneStep),
  };
}

export function droneStep(step: Step): DroneStep {
  return {
    id: step.id,
    step_id: step.stageId,
    number: step.number,
    name: step.name,
    status: step.status,
    error: step.error ?? '',
    errignore: step.errIgnore,
    exit_code: step.exitCode ?? 0,
    started: seconds(step.startedAt),
    stopped: seconds(step.finishedAt),
    version: step.version,
    depends_on: [...step.dependsOn],
    image: step.image,
    detached: step.detached,
    schema: '',
  };
}

function provenanceOf({ build, stages }: BuildWithStages): BuildProvenance {
  return {
    commit: build.origin.after,
    config_sha256: build.configSha256,
    steps: stages.flatMap((stage) =>
      stage.steps.map((step) => ({
        stage: stage.number,
        number: step.number,
        name: step.name,
        image: step.image,
        digest: step.digest,
        machine: stage.machine,
      })),
    ),
  };
}

/** Where Drone links a build without a link of its own (custom builds): the commit's page on Gogs. */
function commitLink(repo: DroneViewRepo, commit: string): string {
  return repo.htmlUrl !== '' && isCommitSha(commit)
    ? `${repo.htmlUrl.replace(/\/+$/, '')}/commit/${commit}`
    : '';
}

/** Drone counts in unix seconds; 0 (not yet) stays 0. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
