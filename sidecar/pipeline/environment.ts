/**
 * The DRONE_* and CI_* variables of a build, as drone/runner-go's environ package computes them (spec §9).
 * Pure: the current time comes from the context.
 */
import type { BuildContext } from '../core/index.ts';
import { calverVariables, semverVariables } from './versions.ts';

/** What the environment needs to know about the stage (Drone's Stage row). */
export interface StageInfo {
  name: string;
  number: number;
  kind: string;
  type: string;
  /** Server defaults applied: linux/amd64 when the pipeline does not say. */
  os: string;
  arch: string;
  variant: string;
  /** Drone exports the stage row's version counter here, not the platform version. */
  rowVersion: number;
  dependsOn: string[];
  /** 0 until the stage starts; then the environment uses the context's `now`. */
  started: number;
  finished: number;
  /** Steps of this stage that failed so far (DRONE_FAILED_STEPS, DRONE_STAGE_STATUS=failure). */
  failedSteps: string[];
}

export type Variables = Record<string, string>;

const FAILING_STATUSES = new Set(['failure', 'error', 'killed']);

/** Layers merged, later wins. A loop: spreading ten layers of a hundred names each is several times slower. */
export function combine(...layers: Variables[]): Variables {
  const merged: Variables = {};
  for (const layer of layers) for (const name of Object.keys(layer)) merged[name] = layer[name] as string;
  return merged;
}

export function systemVariables(context: BuildContext): Variables {
  return {
    CI: 'true',
    DRONE: 'true',
    DRONE_SYSTEM_PROTO: context.system.proto,
    DRONE_SYSTEM_HOST: context.system.host,
    DRONE_SYSTEM_HOSTNAME: context.system.host,
    DRONE_SYSTEM_VERSION: context.system.version,
  };
}

export function repoSlug(context: BuildContext): string {
  return `${context.repo.owner}/${context.repo.name}`;
}

export function repoVariables(context: BuildContext): Variables {
  const { repo } = context;
  const slug = repoSlug(context);
  const isPrivate = String(repo.private);
  return {
    DRONE_REPO: slug,
    DRONE_REPO_SCM: repo.scm,
    DRONE_REPO_OWNER: repo.owner,
    DRONE_REPO_NAMESPACE: repo.owner,
    DRONE_REPO_NAME: repo.name,
    DRONE_REPO_LINK: repo.link,
    DRONE_REPO_BRANCH: repo.defaultBranch,
    DRONE_REMOTE_URL: repo.httpUrl,
    DRONE_GIT_HTTP_URL: repo.httpUrl,
    DRONE_GIT_SSH_URL: repo.sshUrl,
    DRONE_REPO_VISIBILITY: repo.visibility,
    DRONE_REPO_PRIVATE: isPrivate,
    CI_REPO: slug,
    CI_REPO_NAME: slug,
    CI_REPO_LINK: repo.link,
    CI_REPO_REMOTE: repo.httpUrl,
    CI_REMOTE_URL: repo.httpUrl,
    CI_REPO_PRIVATE: isPrivate,
  };
}

export function isBuildFailing(context: BuildContext): boolean {
  return FAILING_STATUSES.has(context.build.status) || context.build.failedStages.length > 0;
}

/** The tag of a tag ref, or null. */
export function tagOf(ref: string): string | null {
  return ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : null;
}

export function buildVariables(context: BuildContext): Variables {
  const { build, commit } = context;
  const failing = isBuildFailing(context);
  const env: Variables = {
    DRONE_BRANCH: context.branch,
    DRONE_SOURCE_BRANCH: context.sourceBranch,
    DRONE_TARGET_BRANCH: context.branch,
    DRONE_COMMIT: commit.sha,
    DRONE_COMMIT_SHA: commit.sha,
    DRONE_COMMIT_BEFORE: commit.before,
    DRONE_COMMIT_AFTER: commit.sha,
    DRONE_COMMIT_REF: context.ref,
    DRONE_COMMIT_BRANCH: context.branch,
    DRONE_COMMIT_LINK: commit.link,
    DRONE_COMMIT_MESSAGE: commit.message,
    DRONE_COMMIT_AUTHOR: commit.author.login,
    DRONE_COMMIT_AUTHOR_EMAIL: commit.author.email,
    DRONE_COMMIT_AUTHOR_AVATAR: commit.author.avatar,
    DRONE_COMMIT_AUTHOR_NAME: commit.author.name,
    DRONE_BUILD_NUMBER: String(build.number),
    DRONE_BUILD_PARENT: String(build.parent),
    DRONE_BUILD_EVENT: context.event,
    DRONE_BUILD_ACTION: context.action,
    DRONE_BUILD_STATUS: failing ? 'failure' : 'success',
    DRONE_BUILD_DEBUG: String(build.debug),
    DRONE_BUILD_CREATED: String(build.created),
    DRONE_BUILD_STARTED: String(build.started === 0 ? context.now : build.started),
    DRONE_BUILD_FINISHED: String(build.finished === 0 ? context.now : build.finished),
    DRONE_DEPLOY_TO: context.deployTarget,
    DRONE_DEPLOY_ID: String(context.deployId),
    DRONE_BUILD_TRIGGER: build.trigger,
    CI_BUILD_NUMBER: String(build.number),
    CI_PARENT_BUILD_NUMBER: String(build.parent),
    CI_BUILD_CREATED: String(build.created),
    CI_BUILD_STARTED: String(build.started),
    CI_BUILD_FINISHED: String(build.finished),
    CI_BUILD_STATUS: build.status,
    CI_BUILD_EVENT: context.event,
    CI_BUILD_LINK: commit.link,
    CI_BUILD_TARGET: context.deployTarget,
    CI_COMMIT_SHA: commit.sha,
    CI_COMMIT_REF: context.ref,
    CI_COMMIT_BRANCH: context.branch,
    CI_COMMIT_MESSAGE: commit.message,
    CI_COMMIT_AUTHOR: commit.author.login,
    CI_COMMIT_AUTHOR_NAME: commit.author.name,
    CI_COMMIT_AUTHOR_EMAIL: commit.author.email,
    CI_COMMIT_AUTHOR_AVATAR: commit.author.avatar,
  };
  if (failing) env.DRONE_FAILED_STAGES = build.failedStages.join(',');
  if (context.event === 'pull_request') {
    env.DRONE_PULL_REQUEST = /\d+/.exec(context.ref)?.[0] ?? '';
    env.DRONE_PULL_REQUEST_TITLE = commit.title;
  }
  const tag = tagOf(context.ref);
  if (tag !== null) {
    env.DRONE_TAG = tag;
    Object.assign(env, semverVariables(tag), calverVariables(tag));
  }
  return env;
}

export function stageVariables(stage: StageInfo, context: BuildContext): Variables {
  const failing = stage.failedSteps.length > 0;
  const env: Variables = {
    DRONE_STAGE_KIND: stage.kind,
    DRONE_STAGE_TYPE: stage.type,
    DRONE_STAGE_NAME: stage.name,
    DRONE_STAGE_NUMBER: String(stage.number),
    DRONE_STAGE_MACHINE: context.runner.name,
    DRONE_STAGE_OS: stage.os,
    DRONE_STAGE_ARCH: stage.arch,
    DRONE_STAGE_VARIANT: stage.variant,
    DRONE_STAGE_VERSION: String(stage.rowVersion),
    DRONE_STAGE_STATUS: failing ? 'failure' : 'success',
    DRONE_STAGE_STARTED: String(stage.started === 0 ? context.now : stage.started),
    DRONE_STAGE_FINISHED: String(stage.finished === 0 ? context.now : stage.finished),
    DRONE_STAGE_DEPENDS_ON: stage.dependsOn.join(','),
    DRONE_CARD_PATH: '/dev/stdout',
  };
  if (failing) env.DRONE_FAILED_STEPS = stage.failedSteps.join(',');
  return env;
}

export function linkVariables(context: BuildContext): Variables {
  const { proto, host } = context.system;
  return { DRONE_BUILD_LINK: `${proto}://${host}/${repoSlug(context)}/${context.build.number}` };
}

export function stepVariables(name: string, number: number): Variables {
  return { DRONE_STEP_NAME: name, DRONE_STEP_NUMBER: String(number) };
}

/** Git identity of the commit author for every step (runner-go clone.Environ). */
export function gitVariables(
  context: BuildContext,
  clone: { skipVerify: boolean; trace: boolean },
): Variables {
  const name = context.commit.author.name || 'drone';
  const email = context.commit.author.email || 'noreply@drone';
  const env: Variables = {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    GIT_TERMINAL_PROMPT: '0',
  };
  if (clone.trace) env.GIT_TRACE = 'true';
  if (clone.skipVerify) env.GIT_SSL_NO_VERIFY = 'true';
  return env;
}

/** System, repository, build and link variables: everything Drone exports that does not depend on the stage. */
export function contextVariables(context: BuildContext): Variables {
  return combine(
    systemVariables(context),
    repoVariables(context),
    buildVariables(context),
    linkVariables(context),
  );
}

/**
 * System, repository, build, stage (when given) and link variables: what every container sees from Drone,
 * before the pipeline's and step's own environment. (Stage and link variables do not overlap, so their order
 * does not matter.)
 */
export function buildEnvironment(context: BuildContext, stage?: StageInfo): Variables {
  return stage === undefined
    ? { ...contextVariables(context) }
    : combine(contextVariables(context), stageVariables(stage, context));
}

/** The variables `${...}` may use (spec §6): runner globals, Drone's, then custom build parameters. */
export function substitutionVariables(context: BuildContext, stage: StageInfo): Variables {
  return combine(context.runner.environ, buildEnvironment(context, stage), context.build.params);
}

/** One variable of {@link substitutionVariables} without building the whole map; undefined when not set. */
export function substitutionLookup(
  context: BuildContext,
  stage: StageInfo,
): (name: string) => string | undefined {
  const layers = [
    context.build.params,
    stageVariables(stage, context),
    contextVariables(context),
    context.runner.environ,
  ];
  return (name) => {
    for (const layer of layers) if (Object.hasOwn(layer, name)) return layer[name];
    return undefined;
  };
}
