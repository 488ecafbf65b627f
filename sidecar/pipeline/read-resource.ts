/** One document into a {@link Resource}, dispatched on `kind` as Drone's runner does. */
import { isScalar, type Node } from 'yaml';
import type {
  CronResource,
  RegistryResource,
  Resource,
  SecretResource,
  SignatureResource,
} from './document.ts';
import { readPipeline } from './read-pipeline.ts';
import { describe, type Entry, type YamlReader } from './yaml-reader.ts';
import { isNullScalar } from './yaml-scalars.ts';

const SECRET_KEYS = new Set(['kind', 'type', 'name', 'data', 'get']);
const SECRET_GET_KEYS = new Set(['path', 'name', 'key']);
const SIGNATURE_KEYS = new Set(['kind', 'hmac']);
const CRON_KEYS = new Set(['kind', 'name', 'spec']);
const CRON_SPEC_KEYS = new Set(['schedule', 'branch', 'deployment']);
const REGISTRY_KEYS = new Set(['kind', 'type', 'data']);

export function readResource(r: YamlReader): Resource {
  const root = r.root;
  if (root === null || (isScalar(root) && root.type === 'PLAIN' && isNullScalar(root.source ?? ''))) {
    r.report(
      'error',
      'missing-kind',
      'empty document: Drone rejects a document without kind (look for a stray --- separator)',
      '',
    );
    return { kind: 'other', declaredKind: '' };
  }
  const entries = r.entries(root, '');
  if (entries === null) {
    r.report(
      'error',
      'wrong-type',
      `a document must be a mapping with a kind, not ${describe(root)}`,
      '',
      root,
    );
    return { kind: 'invalid' };
  }
  const kind = r.string(entries.get('kind')?.value ?? null, 'kind', 'kind');
  switch (kind) {
    case '':
      r.report('error', 'missing-kind', 'document has no kind (pipeline, secret or signature)', '');
      return { kind: 'other', declaredKind: '' };
    case 'pipeline':
      return readPipeline(r, entries);
    case 'secret':
      return readSecret(r, entries);
    case 'signature':
      return readSignature(r, entries);
    case 'cron':
      return readCron(r, entries);
    case 'registry':
      return readRegistry(r, entries);
    default:
      r.report('warning', 'unknown-kind', `kind "${kind}" is not run here; the document is ignored`, 'kind');
      return { kind: 'other', declaredKind: kind };
  }
}

function text(r: YamlReader, entries: Map<string, Entry> | null, key: string, what: string): string {
  const entry = entries?.get(key);
  return entry ? r.string(entry.value, entry.path, what) : '';
}

function mapping(
  r: YamlReader,
  entry: Entry | undefined,
  known: ReadonlySet<string>,
  what: string,
): Map<string, Entry> | null {
  if (!entry || entry.value === null) return null;
  const node: Node = entry.value;
  if (isScalar(node) && isNullScalar(node.source ?? '')) return null;
  const entries = r.entries(node, entry.path);
  if (entries === null) {
    r.report('error', 'wrong-type', `${what} must be a mapping, not ${describe(node)}`, entry.path, node);
    return null;
  }
  r.unknownKeys(entries, known, what);
  return entries;
}

function readSecret(r: YamlReader, entries: Map<string, Entry>): SecretResource {
  r.unknownKeys(entries, SECRET_KEYS, 'a secret');
  const get = mapping(r, entries.get('get'), SECRET_GET_KEYS, 'get');
  const secret: SecretResource = {
    kind: 'secret',
    name: text(r, entries, 'name', 'name'),
    data: text(r, entries, 'data', 'data'),
    get:
      get === null
        ? null
        : {
            path: text(r, get, 'path', 'get.path'),
            name: text(r, get, 'name', 'get.name'),
            key: text(r, get, 'key', 'get.key'),
          },
  };
  if (secret.name === '') r.report('error', 'secret-name', 'a secret needs a name', 'kind');
  if (secret.data === '' && (secret.get === null || (secret.get.path === '' && secret.get.name === ''))) {
    r.report(
      'error',
      'secret-value',
      `secret "${secret.name}" needs data (from drone encrypt) or get: {path, name}`,
      'kind',
    );
  }
  return secret;
}

function readSignature(r: YamlReader, entries: Map<string, Entry>): SignatureResource {
  r.unknownKeys(entries, SIGNATURE_KEYS, 'a signature');
  const hmac = text(r, entries, 'hmac', 'hmac');
  if (hmac === '') r.report('error', 'signature-hmac', 'a signature needs its hmac', 'kind');
  return { kind: 'signature', hmac };
}

function readCron(r: YamlReader, entries: Map<string, Entry>): CronResource {
  r.unknownKeys(entries, CRON_KEYS, 'a cron');
  r.report(
    'warning',
    'unused-kind',
    'kind: cron is not read from the file; schedules are configured on the server',
    'kind',
  );
  const spec = mapping(r, entries.get('spec'), CRON_SPEC_KEYS, 'spec');
  const deployment = mapping(r, spec?.get('deployment'), new Set(['target']), 'spec.deployment');
  return {
    kind: 'cron',
    name: text(r, entries, 'name', 'name'),
    spec: {
      schedule: text(r, spec, 'schedule', 'spec.schedule'),
      branch: text(r, spec, 'branch', 'spec.branch'),
      deployment: { target: text(r, deployment, 'target', 'spec.deployment.target') },
    },
  };
}

function readRegistry(r: YamlReader, entries: Map<string, Entry>): RegistryResource {
  r.unknownKeys(entries, REGISTRY_KEYS, 'a registry');
  r.report(
    'warning',
    'unused-kind',
    'kind: registry is not used by the docker runner; list credential secrets in image_pull_secrets',
    'kind',
  );
  const data = entries.get('data');
  return {
    kind: 'registry',
    type: text(r, entries, 'type', 'type'),
    data: data ? r.stringMap(data.value, data.path, 'data') : new Map(),
  };
}
