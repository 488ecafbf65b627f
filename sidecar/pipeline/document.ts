/**
 * The typed form of a `.drone.yml` document, as drone-runner-docker and drone-yaml decode it. Scalars read into
 * string fields keep their source text (`1.10` stays "1.10"); plugin `settings` keep YAML 1.1 types because
 * their encoding into PLUGIN_* depends on them. Defaults are applied later (compile), so that an absent value
 * and Drone's zero value stay the same thing here.
 */
import type { Position } from './problems.ts';

/** `branch: x`, `branch: [x, y]` and `branch: {include: [x], exclude: [y]}` all become this. */
export interface Condition {
  include: string[];
  exclude: string[];
}

export const CONDITION_KEYS = [
  'branch',
  'event',
  'action',
  'ref',
  'repo',
  'target',
  'cron',
  'instance',
  'status',
  'paths',
] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];

/** All keys are ANDed; an empty condition matches everything. */
export type Conditions = Record<ConditionKey, Condition>;

/** A step environment value: literal text or a secret reference. */
export type EnvironmentValue = { kind: 'value'; value: string } | { kind: 'secret'; secret: string };

/** A YAML value with go-yaml v2's YAML 1.1 typing, kept exact (integers as bigint) for PLUGIN_* encoding. */
export type YamlData =
  | { type: 'null' }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'seq'; items: YamlData[] }
  | { type: 'map'; entries: [string, YamlData][] };

export type SettingValue = { kind: 'value'; value: YamlData } | { kind: 'secret'; secret: string };

export interface VolumeMountSpec {
  name: string;
  path: string;
}

export interface Step {
  name: string;
  image: string;
  commands: string[];
  entrypoint: string[];
  command: string[];
  environment: Map<string, EnvironmentValue>;
  settings: Map<string, SettingValue>;
  when: Conditions;
  dependsOn: string[];
  detach: boolean;
  /** Raw `failure:` text: `ignore`, `fast`/`fast-fail`/`fail-fast`, anything else fails normally. */
  failure: string;
  /** Raw `pull:` text, compared case-insensitively. */
  pull: string;
  privileged: boolean;
  user: string;
  workingDir: string;
  networkMode: string;
  dns: string[];
  dnsSearch: string[];
  extraHosts: string[];
  devices: VolumeMountSpec[];
  volumes: VolumeMountSpec[];
  /** Bytes (0 = unset). */
  memLimit: number;
  memSwapLimit: number;
  shmSize: number;
  /** Declared by Drone's schema but ignored by the docker runner. */
  shell: string;
  /** `id_tokens:` (drone-gogs, after GitLab's): environment variable name → the token's audience. */
  idTokens: Map<string, string>;
}

export interface Volume {
  name: string;
  temp: { medium: string; sizeLimit: number } | null;
  host: { path: string } | null;
}

export interface Pipeline {
  kind: 'pipeline';
  /** '' and `docker` are docker pipelines; anything else is another runner's. */
  type: string;
  /** '' when unnamed; equivalent to `default` when looking a stage up. */
  name: string;
  platform: { os: string; arch: string; variant: string; version: string };
  node: Map<string, string>;
  concurrency: { limit: number };
  dependsOn: string[];
  trigger: Conditions;
  clone: { disable: boolean; depth: number; retries: number; skipVerify: boolean; trace: boolean };
  workspace: { base: string; path: string };
  environment: Map<string, string>;
  services: Step[];
  steps: Step[];
  volumes: Volume[];
  imagePullSecrets: string[];
}

export interface SecretResource {
  kind: 'secret';
  name: string;
  data: string;
  get: { path: string; name: string; key: string } | null;
}

export interface SignatureResource {
  kind: 'signature';
  hmac: string;
}

export interface CronResource {
  kind: 'cron';
  name: string;
  spec: { schedule: string; branch: string; deployment: { target: string } };
}

export interface RegistryResource {
  kind: 'registry';
  type: string;
  data: Map<string, string>;
}

/** A document of a kind Drone's runner does not act on (`approval`, `deployment`, a typo, or no kind at all). */
export interface OtherResource {
  kind: 'other';
  declaredKind: string;
}

/** A document whose YAML could not be read; its problems say why. */
export interface InvalidResource {
  kind: 'invalid';
}

export type Resource =
  | Pipeline
  | SecretResource
  | SignatureResource
  | CronResource
  | RegistryResource
  | OtherResource
  | InvalidResource;

/** One `---`-separated document: its exact text (what `kind: signature` signs) and where it sits in the file. */
export interface ParsedDocument {
  /** 0-based position in the file. */
  index: number;
  /** Drone's document data: every line followed by `\n`, separator lines excluded. */
  data: string;
  /** 1-based file line of the document's first line. */
  startLine: number;
  resource: Resource;
  /** Where a path such as `steps[1].image` is in the file; the nearest recorded ancestor when not recorded. */
  positionOf: (path: string) => Position;
}

export function isPipeline(resource: Resource): resource is Pipeline {
  return resource.kind === 'pipeline';
}

/** Pipelines this runner executes: type docker, or no type. */
export function isDockerType(pipeline: Pipeline): boolean {
  return pipeline.type === '' || pipeline.type === 'docker';
}

/** The name Drone gives a stage: `default` when the pipeline has none. */
export function stageName(pipeline: Pipeline): string {
  return pipeline.name === '' ? 'default' : pipeline.name;
}

export function emptyCondition(): Condition {
  return { include: [], exclude: [] };
}

export function emptyConditions(): Conditions {
  return {
    branch: emptyCondition(),
    event: emptyCondition(),
    action: emptyCondition(),
    ref: emptyCondition(),
    repo: emptyCondition(),
    target: emptyCondition(),
    cron: emptyCondition(),
    instance: emptyCondition(),
    status: emptyCondition(),
    paths: emptyCondition(),
  };
}

export function isEmptyCondition(condition: Condition): boolean {
  return condition.include.length === 0 && condition.exclude.length === 0;
}
