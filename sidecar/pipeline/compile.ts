/**
 * One docker pipeline into the {@link PlanStage} the runner executes, following drone-runner-docker's compiler
 * (spec §7): clone step, services, steps; serial or graph ordering; environment layering; scripts; secrets;
 * run and error policies; volumes; limits. Runs after `${...}` substitution, on the substituted pipeline.
 */
import type { BuildContext, ErrorPolicy, PlanStage, PlanStep, PlanVolume, SecretRef } from '../core/index.ts';
import { stepRunPolicy } from './conditions.ts';
import type { Pipeline, Step } from './document.ts';
import {
  buildVariables,
  combine,
  contextVariables,
  gitVariables,
  type StageInfo,
  stageVariables,
  stepVariables,
  type Variables,
} from './environment.ts';
import { orderSteps } from './graph.ts';
import { expandImage, pullPolicy, sameImage } from './image.ts';
import { type MatchBudget, unlimitedBudget } from './match-budget.ts';
import { scriptSetup } from './script.ts';
import { encodeSetting, pluginVariableName } from './settings-env.ts';
import { createWorkspace } from './workspace.ts';

export interface CompileOptions {
  /** Image of the implicit clone step. */
  cloneImage: string;
  /** Plugin images that run privileged unless the step changes their command or mounts (Docker-in-Docker). */
  privilegedImages: readonly string[];
}

export const DEFAULT_COMPILE_OPTIONS: CompileOptions = {
  cloneImage: 'drone/git:latest',
  privilegedImages: [
    'plugins/docker',
    'plugins/acr',
    'plugins/ecr',
    'plugins/gcr',
    'plugins/heroku',
    'plugins/gar',
  ],
};

/** Variables that, when a step sets them, stop a plugin image from being privileged automatically. */
const PRIVILEGE_BLOCKING_VARIABLES = ['XDG_RUNTIME_DIR', 'DOCKER_OPTS', 'DOCKER_HOST', 'PATH', 'HOME'];

/** What the runner supplies when it starts the stage; listed in the plan so nobody looks for them there. */
const RUNTIME_VARIABLES = [
  'DRONE_DOCKER_NETWORK_ID',
  'DRONE_DOCKER_VOLUME_ID',
  'DRONE_NETRC_MACHINE',
  'DRONE_NETRC_USERNAME',
  'DRONE_NETRC_PASSWORD',
  'DRONE_NETRC_FILE',
  'DRONE_BUILD_STATUS',
  'DRONE_BUILD_STARTED',
  'DRONE_BUILD_FINISHED',
  'DRONE_STAGE_STATUS',
  'DRONE_STAGE_STARTED',
  'DRONE_STAGE_FINISHED',
  'DRONE_FAILED_STAGES',
  'DRONE_FAILED_STEPS',
];

/** What the server decided about the stage: its number, dependencies after bypassing, and when it may run. */
export interface StageDecisions {
  number: number;
  dependsOn: string[];
  onSuccess: boolean;
  onFailure: boolean;
  initialStatus: PlanStage['initialStatus'];
}

function errorPolicy(failure: string): ErrorPolicy {
  if (failure === 'ignore') return 'ignore';
  if (failure === 'fast' || failure === 'fast-fail' || failure === 'fail-fast') return 'fail-fast';
  return 'fail';
}

/** Drone does not pass variables with empty values to the container. */
function dropEmpty(variables: Variables): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of Object.keys(variables)) {
    const value = variables[name] as string;
    if (value !== '') kept[name] = value;
  }
  return kept;
}

function isAutoPrivileged(step: Step, os: string, options: CompileOptions, budget: MatchBudget): boolean {
  if (os === 'windows') return false;
  if (step.commands.length > 0 || step.command.length > 0 || step.entrypoint.length > 0) return false;
  if (step.volumes.length > 0) return false;
  if (PRIVILEGE_BLOCKING_VARIABLES.some((name) => step.environment.has(name))) return false;
  return options.privilegedImages.some((image) => sameImage(image, step.image, budget));
}

interface StepDraft {
  step: PlanStep;
  /** Step's own static variables, PLUGIN_*, DRONE_SCRIPT: layered over the stage's. */
  ownVariables: Variables;
  declaredDependsOn: string[];
}

/**
 * Compiles one docker pipeline (already substituted, as the runner sees it) into the stage the runner executes.
 * Does not lint: planPipelines lints first and records a stage's error.
 */
export function compileStage(
  pipeline: Pipeline,
  context: BuildContext,
  stage: StageInfo,
  decisions: StageDecisions,
  options: CompileOptions = DEFAULT_COMPILE_OPTIONS,
  budget: MatchBudget = unlimitedBudget(),
): PlanStage {
  const workspace = createWorkspace(pipeline);
  const buildLayer = buildVariables(context);
  const stageLayer = stageVariables(stage, context);
  // Drone's layering, later wins (spec §7.12); build and stage variables come last because the runner re-applies
  // them over each step's own variables when the step starts.
  const sharedEnvironment = dropEmpty(
    combine(
      context.runner.environ,
      context.build.params,
      Object.fromEntries(pipeline.environment),
      context.proxy,
      contextVariables(context),
      stageLayer,
      gitVariables(context, pipeline.clone),
      {
        DRONE_WORKSPACE: workspace.full,
        DRONE_WORKSPACE_BASE: workspace.base,
        DRONE_WORKSPACE_PATH: workspace.path,
      },
      buildLayer,
      stageLayer,
    ),
  );
  const declaredVolumes = new Map<string, PlanVolume>();
  for (const volume of pipeline.volumes) {
    if (volume.temp !== null) {
      declaredVolumes.set(volume.name, {
        name: volume.name,
        kind: 'temp',
        medium: volume.temp.medium === 'memory' ? 'memory' : '',
        sizeLimit: volume.temp.sizeLimit,
        hostPath: '',
      });
    } else if (volume.host !== null) {
      declaredVolumes.set(volume.name, {
        name: volume.name,
        kind: 'host',
        medium: '',
        sizeLimit: 0,
        hostPath: volume.host.path,
      });
    }
  }

  const drafts: StepDraft[] = [];
  if (!pipeline.clone.disable) drafts.push(cloneDraft(pipeline, workspace.full, options));
  for (const service of pipeline.services)
    drafts.push(
      stepDraft(service, 'service', pipeline, context, workspace.full, declaredVolumes, options, budget),
    );
  for (const step of pipeline.steps)
    drafts.push(stepDraft(step, 'step', pipeline, context, workspace.full, declaredVolumes, options, budget));

  const ordered = orderSteps(
    drafts.map((draft) => ({ name: draft.step.name, dependsOn: draft.declaredDependsOn })),
    !pipeline.clone.disable,
  );
  let number = 0;
  const steps = drafts.map((draft, index) => {
    const step = draft.step;
    step.dependsOn = ordered[index]?.dependsOn ?? [];
    if (step.runPolicy !== 'never') step.number = ++number;
    const own: Variables = {
      ...draft.ownVariables,
      ...(step.number === null ? {} : stepVariables(step.name, step.number)),
    };
    for (const [name, value] of Object.entries(own)) {
      if (Object.hasOwn(buildLayer, name) || Object.hasOwn(stageLayer, name)) continue;
      if (value !== '') step.environment[name] = value;
      else if (Object.hasOwn(sharedEnvironment, name)) step.unsetVariables.push(name);
    }
    return step;
  });

  return {
    number: decisions.number,
    name: stage.name,
    kind: 'pipeline',
    type: 'docker',
    platform: {
      os: stage.os,
      arch: stage.arch,
      variant: pipeline.platform.variant,
      version: pipeline.platform.version,
    },
    node: Object.fromEntries(pipeline.node),
    concurrencyLimit: pipeline.concurrency.limit,
    dependsOn: decisions.dependsOn,
    onSuccess: decisions.onSuccess,
    onFailure: decisions.onFailure,
    initialStatus: decisions.initialStatus,
    workspace,
    environment: sharedEnvironment,
    clone: {
      disabled: pipeline.clone.disable,
      depth: pipeline.clone.depth,
      retries: pipeline.clone.retries,
      skipVerify: pipeline.clone.skipVerify,
      trace: pipeline.clone.trace,
    },
    steps,
    volumes: [...declaredVolumes.values()],
    imagePullSecrets: pipeline.imagePullSecrets,
    runtimeVariables: RUNTIME_VARIABLES,
    error: null,
  };
}

/** The variables a step's container gets, secrets aside: the stage's, minus the step's unset ones, plus its own. */
export function stepEnvironment(stage: PlanStage, step: PlanStep): Record<string, string> {
  const environment = { ...stage.environment, ...step.environment };
  for (const name of step.unsetVariables) delete environment[name];
  return environment;
}

function emptyStep(name: string, role: PlanStep['role']): PlanStep {
  return {
    name,
    role,
    number: null,
    image: '',
    pull: 'default',
    entrypoint: [],
    command: [],
    environment: {},
    unsetVariables: [],
    secrets: [],
    idTokens: [],
    runPolicy: 'on-success',
    errorPolicy: 'fail',
    dependsOn: [],
    detach: false,
    privileged: false,
    autoPrivileged: false,
    user: '',
    workingDir: '',
    networkMode: '',
    dns: [],
    dnsSearch: [],
    extraHosts: [],
    volumes: [],
    devices: [],
    resources: { memLimit: 0, memSwapLimit: 0, shmSize: 0 },
  };
}

function cloneDraft(pipeline: Pipeline, workingDir: string, options: CompileOptions): StepDraft {
  const step = emptyStep('clone', 'clone');
  step.image = expandImage(options.cloneImage);
  step.pull = 'if-not-exists';
  step.runPolicy = 'always';
  step.workingDir = workingDir;
  const ownVariables: Variables = {};
  if (pipeline.clone.depth > 0) ownVariables.PLUGIN_DEPTH = String(pipeline.clone.depth);
  if (pipeline.clone.retries > 0) ownVariables.PLUGIN_RETRIES = String(pipeline.clone.retries);
  if (pipeline.clone.skipVerify) {
    ownVariables.GIT_SSL_NO_VERIFY = 'true';
    ownVariables.PLUGIN_SKIP_VERIFY = 'true';
  }
  return { step, ownVariables, declaredDependsOn: [] };
}

function stepDraft(
  source: Step,
  role: 'service' | 'step',
  pipeline: Pipeline,
  context: BuildContext,
  workspaceFull: string,
  declaredVolumes: ReadonlyMap<string, PlanVolume>,
  options: CompileOptions,
  budget: MatchBudget,
): StepDraft {
  const os = pipeline.platform.os;
  const step = emptyStep(source.name, role);
  step.image = expandImage(source.image, budget);
  step.pull = pullPolicy(source.pull);
  step.detach = role === 'service' || source.detach;
  step.errorPolicy = errorPolicy(source.failure);
  step.autoPrivileged = !source.privileged && isAutoPrivileged(source, os, options, budget);
  step.privileged = source.privileged || step.autoPrivileged;
  step.user = source.user;
  step.networkMode = source.networkMode;
  step.dns = source.dns;
  step.dnsSearch = source.dnsSearch;
  step.extraHosts = source.extraHosts;
  step.resources = { memLimit: source.memLimit, memSwapLimit: source.memSwapLimit, shmSize: source.shmSize };
  step.volumes = source.volumes
    .filter((mount) => declaredVolumes.has(mount.name))
    .map((mount) => ({ ...mount }));
  step.devices = source.devices
    .filter((device) => declaredVolumes.get(device.name)?.hostPath.startsWith('/dev/') === true)
    .map((device) => ({ ...device }));
  step.runPolicy = stepRunPolicy(source.when, context, budget).policy;

  const ownVariables: Variables = {};
  const secrets: SecretRef[] = [];
  for (const [name, value] of source.environment) {
    if (value.kind === 'secret') secrets.push({ env: name, secret: value.secret });
    else ownVariables[name] = value.value;
  }
  for (const [key, value] of source.settings) {
    const name = pluginVariableName(key);
    if (value.kind === 'secret') secrets.push({ env: name, secret: value.secret });
    else ownVariables[name] = encodeSetting(value.value);
  }
  step.secrets = secrets;
  step.idTokens = [...source.idTokens].map(([env, audience]) => ({ env, audience }));

  if (source.commands.length > 0) {
    const script = scriptSetup(source.commands, os);
    step.entrypoint = script.entrypoint;
    step.command = script.command;
    Object.assign(ownVariables, script.environment);
  } else {
    step.entrypoint = source.entrypoint;
    step.command = source.command;
  }
  step.workingDir =
    source.workingDir !== ''
      ? source.workingDir
      : step.detach && source.commands.length === 0
        ? ''
        : workspaceFull;
  return { step, ownVariables, declaredDependsOn: source.dependsOn };
}
