/**
 * drone-yaml's own parser tests (../shared/examples/drone-yaml-golden): each YAML file against the JSON its Go
 * types produce, compared structurally. Our typed documents are mapped into drone-yaml's shape (omitempty
 * included); the step keys the docker runner does not read (build, push, ports) are not modelled, so they are
 * left out of the comparison and must instead come back as warnings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Condition, Conditions, Pipeline, Resource, Step } from '../../sidecar/pipeline/index.ts';
import { parsePipelineFile } from '../../sidecar/pipeline/index.ts';
import { goldenDir } from './support.ts';

const UNMODELLED_STEP_KEYS = ['build', 'push', 'ports'];

type Json = Record<string, unknown>;

/** Go's omitempty: drop '', false, 0, empty lists and empty objects. */
function compact(value: Json): Json {
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === '' || item === false || item === 0 || item === undefined || item === null) continue;
    if (Array.isArray(item) && item.length === 0) continue;
    if (typeof item === 'object' && !Array.isArray(item) && Object.keys(item as Json).length === 0) continue;
    out[key] = item;
  }
  return out;
}

function condition(value: Condition): Json {
  return compact({ include: value.include, exclude: value.exclude });
}

function conditions(value: Conditions): Json {
  return compact(Object.fromEntries(Object.entries(value).map(([key, item]) => [key, condition(item)])));
}

function step(value: Step): Json {
  return compact({
    name: value.name,
    image: value.image,
    commands: value.commands,
    entrypoint: value.entrypoint,
    command: value.command,
    detach: value.detach,
    failure: value.failure,
    pull: value.pull,
    privileged: value.privileged,
    shell: value.shell,
    working_dir: value.workingDir,
    volumes: value.volumes,
    environment: Object.fromEntries(
      [...value.environment].map(([key, item]) => [
        key,
        item.kind === 'secret' ? { from_secret: item.secret } : { value: item.value },
      ]),
    ),
    when: conditions(value.when),
  });
}

function pipeline(value: Pipeline): Json {
  return compact({
    kind: value.kind,
    name: value.name,
    clone: compact({ disable: value.clone.disable, depth: value.clone.depth }),
    depends_on: value.dependsOn,
    platform: compact(value.platform),
    workspace: compact(value.workspace),
    steps: value.steps.map(step),
    services: value.services.map(step),
    volumes: value.volumes.map((volume) =>
      compact({
        name: volume.name,
        temp: volume.temp === null ? undefined : compact(volume.temp),
        host: volume.host ?? undefined,
      }),
    ),
    trigger: conditions(value.trigger),
  });
}

/** drone-yaml keeps `temp: {}`: an empty object there means "a temp volume", not "absent". */
function restoreEmptyTemp(json: Json, source: Pipeline): Json {
  if (Array.isArray(json.volumes)) {
    json.volumes = (json.volumes as Json[]).map((volume, index) =>
      source.volumes[index]?.temp !== null && volume.temp === undefined ? { ...volume, temp: {} } : volume,
    );
  }
  return json;
}

function toDroneYamlShape(resource: Resource): Json {
  switch (resource.kind) {
    case 'pipeline':
      return restoreEmptyTemp(pipeline(resource), resource);
    case 'secret':
      return compact({ kind: 'secret', name: resource.name, data: resource.data });
    case 'signature':
      return compact({ kind: 'signature', hmac: resource.hmac });
    case 'cron':
      return compact({
        kind: 'cron',
        name: resource.name,
        spec: compact({ ...resource.spec, deployment: compact(resource.spec.deployment) }),
      });
    case 'registry':
      return compact({ kind: 'registry', type: resource.type, data: Object.fromEntries(resource.data) });
    default:
      return { kind: resource.kind };
  }
}

function withoutUnmodelledKeys(golden: Json[]): Json[] {
  return golden.map((document) => {
    if (!Array.isArray(document.steps)) return document;
    return {
      ...document,
      steps: (document.steps as Json[]).map((item) =>
        Object.fromEntries(Object.entries(item).filter(([key]) => !UNMODELLED_STEP_KEYS.includes(key))),
      ),
      services: (document.services as Json[] | undefined)?.map((item) =>
        Object.fromEntries(Object.entries(item).filter(([key]) => !UNMODELLED_STEP_KEYS.includes(key))),
      ),
    };
  });
}

/** The golden files spell a few scalars as Go would print them; JSON round-trips normalise both sides. */
function normalise(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

describe('drone-yaml golden pairs', () => {
  for (const name of [
    'pipeline.yml',
    'manifest.yml',
    'secret.yml',
    'signature.yml',
    'registry.yml',
    'cron.yml',
  ]) {
    it(`${name} reads into the structure drone-yaml produces`, () => {
      const file = parsePipelineFile(readFileSync(join(goldenDir, name)), { fileName: name });
      const golden = JSON.parse(readFileSync(join(goldenDir, `${name}.golden`), 'utf8')) as Json[];
      const ours = file.documents.map((document) => toDroneYamlShape(document.resource));
      expect(normalise(ours)).toEqual(normalise(withoutUnmodelledKeys(golden)));
    });
  }

  it('pipeline.yml: every key the docker runner ignores is reported where it is written', () => {
    const file = parsePipelineFile(readFileSync(join(goldenDir, 'pipeline.yml')), {
      fileName: 'pipeline.yml',
    });
    const ignored = file.problems.filter((problem) => problem.rule === 'ignored-key');
    expect(ignored.map((problem) => [problem.line, problem.message.split(':')[0]])).toEqual([
      [36, 'build'],
      [47, 'push'],
      [55, 'ports'],
    ]);
    expect(ignored.every((problem) => problem.severity === 'warning')).toBe(true);
  });

  it('pipeline.yml: numbers written as platform variant and version stay text, as in the golden file', () => {
    const file = parsePipelineFile(readFileSync(join(goldenDir, 'pipeline.yml')), {
      fileName: 'pipeline.yml',
    });
    const [document] = file.documents;
    expect(document?.resource.kind === 'pipeline' && document.resource.platform).toEqual({
      os: 'windows',
      arch: 'arm64',
      variant: '7',
      version: '1803',
    });
  });

  it('manifest.yml: the ... terminator ends the file and the signature signs the other documents', () => {
    const file = parsePipelineFile(readFileSync(join(goldenDir, 'manifest.yml')), {
      fileName: 'manifest.yml',
    });
    expect(file.documents.map((document) => document.resource.kind)).toEqual([
      'pipeline',
      'registry',
      'secret',
      'cron',
      'signature',
    ]);
    expect(file.documents.map((document) => document.data)).toEqual([
      'kind: pipeline\n',
      'kind: registry\n',
      'kind: secret\n',
      'kind: cron\n',
      'kind: signature\nhmac: N2NmYjA3ODQwNTY1ODFlY2E5MGJmOWI1NDk0NDFhMTEK\n',
    ]);
  });
});
