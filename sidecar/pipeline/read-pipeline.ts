/**
 * `kind: pipeline` documents into {@link Pipeline}, field by field as drone-runner-docker's resource types
 * declare them. Wrong types are errors (Drone's decoder fails the stage); unknown keys are warnings (Drone
 * ignores them).
 */
import { isMap, isScalar, type Node } from 'yaml';
import {
  CONDITION_KEYS,
  type Condition,
  type ConditionKey,
  type Conditions,
  type EnvironmentValue,
  emptyCondition,
  emptyConditions,
  type Pipeline,
  type SettingValue,
  type Step,
  type Volume,
  type VolumeMountSpec,
} from './document.ts';
import { describe, type Entry, type YamlReader } from './yaml-reader.ts';
import { isNullScalar } from './yaml-scalars.ts';

const PIPELINE_KEYS = new Set([
  'kind',
  'type',
  'name',
  'version',
  'platform',
  'node',
  'concurrency',
  'depends_on',
  'trigger',
  'clone',
  'workspace',
  'environment',
  'services',
  'steps',
  'volumes',
  'image_pull_secrets',
]);

const STEP_KEYS = new Set([
  'name',
  'image',
  'commands',
  'entrypoint',
  'command',
  'environment',
  'settings',
  'when',
  'depends_on',
  'detach',
  'failure',
  'pull',
  'privileged',
  'user',
  'working_dir',
  'network_mode',
  'dns',
  'dns_search',
  'extra_hosts',
  'devices',
  'volumes',
  'mem_limit',
  'memswap_limit',
  'shm_size',
  'shell',
  'id_tokens',
]);

/** Keys drone-yaml accepts on a step but the docker runner never reads, with what to do instead. */
const IGNORED_STEP_KEYS = new Map([
  ['build', 'the docker runner has no build: step; use the plugins/docker image'],
  ['push', 'the docker runner has no push: step; use the plugins/docker image'],
  ['ports', 'the docker runner ignores ports:; services are reachable by name on the stage network'],
  ['resources', 'the docker runner ignores resources:; use mem_limit, memswap_limit and shm_size'],
]);

const KNOWN_CONDITION_KEYS = new Set<string>(CONDITION_KEYS);

const PLATFORM_KEYS = new Set(['os', 'arch', 'variant', 'version']);
const CLONE_KEYS = new Set(['disable', 'depth', 'retries', 'skip_verify', 'trace']);
const WORKSPACE_KEYS = new Set(['base', 'path']);
const CONCURRENCY_KEYS = new Set(['limit']);
const VOLUME_KEYS = new Set(['name', 'temp', 'host']);
const TEMP_KEYS = new Set(['medium', 'size_limit']);
const HOST_KEYS = new Set(['path']);
const MOUNT_KEYS = new Set(['name', 'path']);
const CONDITION_MAP_KEYS = new Set(['include', 'exclude']);
const VARIABLE_KEYS = new Set(['value', 'from_secret']);

/**
 * Reads a pipeline. Pipelines of other types (exec, ssh, kubernetes, vm, ...) have their own schemas: only the
 * fields the server reads for every pipeline (name, type, depends_on, trigger) are taken from them.
 */
export function readPipeline(r: YamlReader, entries: Map<string, Entry>): Pipeline {
  const field = (key: string): Node | null => entries.get(key)?.value ?? null;
  const pathOf = (key: string): string => entries.get(key)?.path ?? key;
  const type = r.string(field('type'), pathOf('type'), 'type');
  const docker = type === '' || type === 'docker';
  const pipeline: Pipeline = {
    kind: 'pipeline',
    type,
    name: r.string(field('name'), pathOf('name'), 'name'),
    platform: { os: '', arch: '', variant: '', version: '' },
    node: new Map(),
    concurrency: { limit: 0 },
    dependsOn: r.stringList(field('depends_on'), pathOf('depends_on'), 'depends_on'),
    trigger: readConditions(r, field('trigger'), pathOf('trigger'), 'trigger'),
    clone: { disable: false, depth: 0, retries: 0, skipVerify: false, trace: false },
    workspace: { base: '', path: '' },
    environment: new Map(),
    services: [],
    steps: [],
    volumes: [],
    imagePullSecrets: [],
  };
  if (!docker) return pipeline;

  r.unknownKeys(entries, PIPELINE_KEYS, 'the pipeline');
  const platform = object(r, field('platform'), pathOf('platform'), 'platform', PLATFORM_KEYS);
  if (platform !== null) {
    for (const key of PLATFORM_KEYS) {
      const entry = platform.get(key);
      if (entry)
        pipeline.platform[key as keyof Pipeline['platform']] = r.string(
          entry.value,
          entry.path,
          `platform.${key}`,
        );
    }
  }
  pipeline.node = r.stringMap(field('node'), pathOf('node'), 'node');
  const concurrency = object(r, field('concurrency'), pathOf('concurrency'), 'concurrency', CONCURRENCY_KEYS);
  const limit = concurrency?.get('limit');
  if (limit) pipeline.concurrency.limit = r.int(limit.value, limit.path, 'concurrency.limit');

  const clone = object(r, field('clone'), pathOf('clone'), 'clone', CLONE_KEYS);
  if (clone !== null) {
    const get = (key: string) => clone.get(key);
    const disable = get('disable');
    const depth = get('depth');
    const retries = get('retries');
    const skipVerify = get('skip_verify');
    const trace = get('trace');
    if (disable) pipeline.clone.disable = r.bool(disable.value, disable.path, 'clone.disable');
    if (depth) pipeline.clone.depth = r.int(depth.value, depth.path, 'clone.depth');
    if (retries) pipeline.clone.retries = r.int(retries.value, retries.path, 'clone.retries');
    if (skipVerify)
      pipeline.clone.skipVerify = r.bool(skipVerify.value, skipVerify.path, 'clone.skip_verify');
    if (trace) pipeline.clone.trace = r.bool(trace.value, trace.path, 'clone.trace');
  }
  const workspace = object(r, field('workspace'), pathOf('workspace'), 'workspace', WORKSPACE_KEYS);
  if (workspace !== null) {
    const base = workspace.get('base');
    const path = workspace.get('path');
    if (base) pipeline.workspace.base = r.string(base.value, base.path, 'workspace.base');
    if (path) pipeline.workspace.path = r.string(path.value, path.path, 'workspace.path');
  }
  pipeline.environment = readPipelineEnvironment(r, field('environment'), pathOf('environment'));
  pipeline.services = readSteps(r, field('services'), pathOf('services'), 'services');
  pipeline.steps = readSteps(r, field('steps'), pathOf('steps'), 'steps');
  pipeline.volumes = readVolumes(r, field('volumes'), pathOf('volumes'));
  pipeline.imagePullSecrets = r.stringList(
    field('image_pull_secrets'),
    pathOf('image_pull_secrets'),
    'image_pull_secrets',
  );
  return pipeline;
}

/** A mapping field with its unknown keys reported; null when absent or null, a type error when not a mapping. */
function object(
  r: YamlReader,
  node: Node | null,
  path: string,
  what: string,
  known: ReadonlySet<string> | 'any key',
): Map<string, Entry> | null {
  if (node === null || isNullNode(node)) return null;
  const entries = r.entries(node, path);
  if (entries === null) {
    r.report('error', 'wrong-type', `${what} must be a mapping, not ${describe(node)}`, path, node);
    return null;
  }
  if (known !== 'any key') r.unknownKeys(entries, known, what);
  return entries;
}

function isNullNode(node: Node): boolean {
  return isScalar(node) && node.type === 'PLAIN' && isNullScalar(node.source ?? '');
}

function readPipelineEnvironment(r: YamlReader, node: Node | null, path: string): Map<string, string> {
  const out = new Map<string, string>();
  const entries = object(r, node, path, 'environment', 'any key');
  if (entries === null) return out;
  for (const entry of entries.values()) {
    if (isMap(entry.value)) {
      r.report(
        'error',
        'pipeline-environment-secret',
        `pipeline environment values must be text; from_secret only works in a step's environment (${entry.key})`,
        entry.path,
      );
      continue;
    }
    out.set(entry.key, r.string(entry.value, entry.path, `environment.${entry.key}`));
  }
  return out;
}

function readSteps(r: YamlReader, node: Node | null, path: string, what: 'steps' | 'services'): Step[] {
  if (node === null || isNullNode(node)) return [];
  const items = r.items(node, path);
  if (items === null) {
    r.report('error', 'wrong-type', `${what} must be a list, not ${describe(node)}`, path, node);
    return [];
  }
  const steps: Step[] = [];
  for (const item of items) {
    const step = readStep(r, item.value, item.path, what === 'services' ? 'service' : 'step');
    if (step !== null) steps.push(step);
  }
  return steps;
}

function readStep(r: YamlReader, node: Node | null, path: string, what: 'step' | 'service'): Step | null {
  const entries = node === null || isNullNode(node) ? null : r.entries(node, path);
  if (entries === null) {
    r.report(
      'error',
      'wrong-type',
      `a ${what} must be a mapping, not ${describe(node)}`,
      path,
      node ?? undefined,
    );
    return null;
  }
  for (const entry of entries.values()) {
    const reason = IGNORED_STEP_KEYS.get(entry.key);
    if (reason !== undefined) r.report('warning', 'ignored-key', `${entry.key}: ${reason}`, entry.path);
    else if (!STEP_KEYS.has(entry.key)) {
      r.report(
        'warning',
        'unknown-key',
        `unknown key "${entry.key}" in a ${what}; Drone ignores it`,
        entry.path,
      );
    }
  }
  const field = (key: string): Node | null => entries.get(key)?.value ?? null;
  const pathOf = (key: string): string => entries.get(key)?.path ?? `${path}.${key}`;
  const text = (key: string): string => r.string(field(key), pathOf(key), key);
  const list = (key: string): string[] => r.stringList(field(key), pathOf(key), key);
  return {
    name: text('name'),
    image: text('image'),
    commands: list('commands'),
    entrypoint: list('entrypoint'),
    command: list('command'),
    environment: readStepEnvironment(r, field('environment'), pathOf('environment')),
    settings: readSettings(r, field('settings'), pathOf('settings')),
    when: readConditions(r, field('when'), pathOf('when'), 'when'),
    dependsOn: list('depends_on'),
    detach: r.bool(field('detach'), pathOf('detach'), 'detach'),
    failure: text('failure'),
    pull: text('pull'),
    privileged: r.bool(field('privileged'), pathOf('privileged'), 'privileged'),
    user: text('user'),
    workingDir: text('working_dir'),
    networkMode: text('network_mode'),
    dns: list('dns'),
    dnsSearch: list('dns_search'),
    extraHosts: list('extra_hosts'),
    devices: readMounts(r, field('devices'), pathOf('devices'), 'devices'),
    volumes: readMounts(r, field('volumes'), pathOf('volumes'), 'volumes'),
    memLimit: r.bytes(field('mem_limit'), pathOf('mem_limit'), 'mem_limit'),
    memSwapLimit: r.bytes(field('memswap_limit'), pathOf('memswap_limit'), 'memswap_limit'),
    shmSize: r.bytes(field('shm_size'), pathOf('shm_size'), 'shm_size'),
    shell: text('shell'),
    idTokens: readIdTokens(r, field('id_tokens'), pathOf('id_tokens')),
  };
}

const ID_TOKEN_KEYS = new Set(['aud']);
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_AUDIENCE_CHARS = 256;

/** `NAME: {aud: audience}` for each workload identity token the step wants. */
function readIdTokens(r: YamlReader, node: Node | null, path: string): Map<string, string> {
  const out = new Map<string, string>();
  const entries = object(r, node, path, 'id_tokens', 'any key');
  if (entries === null) return out;
  for (const entry of entries.values()) {
    if (!ENVIRONMENT_NAME.test(entry.key)) {
      r.report('error', 'invalid-id-token', `id_tokens: "${entry.key}" is not a variable name`, entry.path);
      continue;
    }
    const fields = entry.value === null ? null : r.entries(entry.value, entry.path);
    if (fields === null) {
      r.report(
        'error',
        'invalid-id-token',
        `id_tokens.${entry.key} must be a mapping with aud: the token's audience`,
        entry.path,
      );
      continue;
    }
    r.unknownKeys(fields, ID_TOKEN_KEYS, `id_tokens.${entry.key}`);
    const aud = fields.get('aud');
    const audience = aud ? r.string(aud.value, aud.path, 'aud').trim() : '';
    if (audience === '' || audience.length > MAX_AUDIENCE_CHARS || /[\u0000-\u001f\u007f]/.test(audience)) {
      r.report(
        'error',
        'invalid-id-token',
        `id_tokens.${entry.key}.aud must be the audience the token is for (1 to ${MAX_AUDIENCE_CHARS} characters)`,
        aud?.path ?? entry.path,
      );
      continue;
    }
    out.set(entry.key, audience);
  }
  return out;
}

/** `KEY: text`, `KEY: {from_secret: name}` or `KEY: {value: text}`; a null value leaves the variable unset. */
function readStepEnvironment(r: YamlReader, node: Node | null, path: string): Map<string, EnvironmentValue> {
  const out = new Map<string, EnvironmentValue>();
  const entries = object(r, node, path, 'environment', 'any key');
  if (entries === null) return out;
  for (const entry of entries.values()) {
    const value = entry.value;
    if (value === null || isNullNode(value)) continue;
    if (isScalar(value)) {
      out.set(entry.key, { kind: 'value', value: r.string(value, entry.path, `environment.${entry.key}`) });
      continue;
    }
    const variable = r.entries(value, entry.path);
    if (variable === null) {
      r.report(
        'error',
        'wrong-type',
        `environment.${entry.key} must be text or {from_secret: name}, not ${describe(value)}`,
        entry.path,
        value,
      );
      continue;
    }
    r.unknownKeys(variable, VARIABLE_KEYS, `environment.${entry.key}`);
    const secret = variable.get('from_secret');
    const secretName = secret ? r.string(secret.value, secret.path, 'from_secret').trim() : '';
    if (secretName !== '') out.set(entry.key, { kind: 'secret', secret: secretName });
    else {
      const literal = variable.get('value');
      out.set(entry.key, {
        kind: 'value',
        value: literal ? r.string(literal.value, literal.path, 'value') : '',
      });
    }
  }
  return out;
}

/** Plugin settings: `{from_secret: name}` or any YAML value, typed; null values are skipped. */
function readSettings(r: YamlReader, node: Node | null, path: string): Map<string, SettingValue> {
  const out = new Map<string, SettingValue>();
  const entries = object(r, node, path, 'settings', 'any key');
  if (entries === null) return out;
  for (const entry of entries.values()) {
    const value = entry.value;
    if (value === null || isNullNode(value)) continue;
    if (isMap(value)) {
      const secret = r.entries(value, entry.path)?.get('from_secret');
      const secretName =
        secret && isScalar(secret.value) ? r.string(secret.value, secret.path, 'from_secret') : '';
      if (secretName !== '') {
        out.set(entry.key, { kind: 'secret', secret: secretName });
        continue;
      }
    }
    out.set(entry.key, { kind: 'value', value: r.data(value, entry.path) });
  }
  return out;
}

function readMounts(r: YamlReader, node: Node | null, path: string, what: string): VolumeMountSpec[] {
  if (node === null || isNullNode(node)) return [];
  const items = r.items(node, path);
  if (items === null) {
    r.report('error', 'wrong-type', `${what} must be a list, not ${describe(node)}`, path, node);
    return [];
  }
  const mounts: VolumeMountSpec[] = [];
  for (const item of items) {
    const entries = object(r, item.value, item.path, `${what} items`, MOUNT_KEYS);
    if (entries === null) continue;
    const name = entries.get('name');
    const mountPath = entries.get('path');
    mounts.push({
      name: name ? r.string(name.value, name.path, 'name') : '',
      path: mountPath ? r.string(mountPath.value, mountPath.path, 'path') : '',
    });
  }
  return mounts;
}

function readVolumes(r: YamlReader, node: Node | null, path: string): Volume[] {
  if (node === null || isNullNode(node)) return [];
  const items = r.items(node, path);
  if (items === null) {
    r.report('error', 'wrong-type', `volumes must be a list, not ${describe(node)}`, path, node);
    return [];
  }
  const volumes: Volume[] = [];
  for (const item of items) {
    const entries = object(r, item.value, item.path, 'a volume', VOLUME_KEYS);
    if (entries === null) continue;
    const name = entries.get('name');
    const temp = entries.get('temp');
    const host = entries.get('host');
    const volume: Volume = {
      name: name ? r.string(name.value, name.path, 'name') : '',
      temp: null,
      host: null,
    };
    if (temp && temp.value !== null && !isNullNode(temp.value)) {
      const tempEntries = object(r, temp.value, temp.path, 'temp', TEMP_KEYS);
      const medium = tempEntries?.get('medium');
      const sizeLimit = tempEntries?.get('size_limit');
      volume.temp = {
        medium: medium ? r.string(medium.value, medium.path, 'temp.medium') : '',
        sizeLimit: sizeLimit ? r.bytes(sizeLimit.value, sizeLimit.path, 'temp.size_limit') : 0,
      };
    }
    if (host && host.value !== null && !isNullNode(host.value)) {
      const hostPath = object(r, host.value, host.path, 'host', HOST_KEYS)?.get('path');
      volume.host = { path: hostPath ? r.string(hostPath.value, hostPath.path, 'host.path') : '' };
    }
    volumes.push(volume);
  }
  return volumes;
}

/** `when:` and `trigger:` blocks: a mapping of condition keys. */
export function readConditions(r: YamlReader, node: Node | null, path: string, what: string): Conditions {
  const conditions = emptyConditions();
  if (node === null || isNullNode(node)) return conditions;
  const entries = r.entries(node, path);
  if (entries === null) {
    r.report(
      'error',
      'wrong-type',
      `${what} must be a mapping of conditions, not ${describe(node)}`,
      path,
      node,
    );
    return conditions;
  }
  for (const entry of entries.values()) {
    if (entry.key === 'matrix') {
      r.report(
        'warning',
        'ignored-key',
        `${what}.matrix is not supported by Drone 1.x runners; it is ignored`,
        entry.path,
      );
    } else if (!KNOWN_CONDITION_KEYS.has(entry.key)) {
      r.report(
        'warning',
        'unknown-key',
        `unknown condition "${entry.key}" in ${what}; Drone ignores it`,
        entry.path,
      );
    } else {
      conditions[entry.key as ConditionKey] = readCondition(
        r,
        entry.value,
        entry.path,
        `${what}.${entry.key}`,
      );
    }
  }
  return conditions;
}

/** A scalar (one include pattern), a list (include patterns) or `{include: [...], exclude: [...]}`. */
function readCondition(r: YamlReader, node: Node | null, path: string, what: string): Condition {
  if (node === null || isNullNode(node)) return emptyCondition();
  if (isScalar(node)) return { include: [r.string(node, path, what)], exclude: [] };
  const items = r.items(node, path);
  if (items !== null) return { include: patterns(r, items, what), exclude: [] };
  const entries = r.entries(node, path);
  if (entries === null) return emptyCondition();
  for (const entry of entries.values()) {
    if (!CONDITION_MAP_KEYS.has(entry.key)) {
      r.report(
        'warning',
        'unknown-key',
        `unknown key "${entry.key}" in ${what}; Drone ignores it (only include and exclude are read)`,
        entry.path,
      );
    }
  }
  const list = (key: 'include' | 'exclude'): string[] => {
    const entry = entries.get(key);
    if (!entry || entry.value === null || isNullNode(entry.value)) return [];
    const listItems = r.items(entry.value, entry.path);
    if (listItems === null) {
      r.report(
        'error',
        'wrong-type',
        `${what}.${key} must be a list of patterns, not ${describe(entry.value)} (Drone would ignore the whole condition)`,
        entry.path,
        entry.value,
      );
      return [];
    }
    return patterns(r, listItems, `${what}.${key}`);
  };
  return { include: list('include'), exclude: list('exclude') };
}

function patterns(r: YamlReader, items: { value: Node | null; path: string }[], what: string): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (item.value !== null && !isScalar(item.value)) {
      r.report(
        'error',
        'wrong-type',
        `${what} items must be patterns, not ${describe(item.value)}`,
        item.path,
        item.value,
      );
      continue;
    }
    out.push(r.string(item.value, item.path, what));
  }
  return out;
}
