/** Reading files into typed documents: splitting, YAML dialect, field types, positions. */
import { describe, expect, it } from 'vitest';
import type { SettingValue } from '../../sidecar/pipeline/document.ts';
import { onlyPipeline, parse, pipelinesOf, ruleAt } from './support.ts';

describe('document splitting (Drone’s line-based ParseRaw)', () => {
  it('splits on lines starting with ---, drops them, and stops at ...', () => {
    const file = parse(
      'kind: pipeline\nname: a\n--- # comment\nkind: pipeline\nname: b\n...\nkind: pipeline\nname: ignored\n',
    );
    expect(pipelinesOf(file).map((pipeline) => pipeline.name)).toEqual(['a', 'b']);
    expect(file.documents.map((document) => document.startLine)).toEqual([1, 4]);
  });

  it('does not create an empty document for a leading ---, but does for a trailing one', () => {
    expect(parse('---\nkind: pipeline\n').documents).toHaveLength(1);
    const trailing = parse('kind: pipeline\n---\n');
    expect(trailing.documents).toHaveLength(2);
    expect(ruleAt(trailing)).toEqual(['3:1 missing-kind']);
  });

  it('normalises CRLF and keeps Drone’s exact document text (what a signature signs)', () => {
    const file = parse('kind: pipeline\r\nname: a\r\n---\r\nkind: secret\r\nname: s\r\ndata: x');
    expect(file.documents.map((document) => document.data)).toEqual([
      'kind: pipeline\nname: a\n',
      'kind: secret\nname: s\ndata: x\n',
    ]);
  });

  it('rejects the Drone 0.8 format with one clear error', () => {
    const file = parse('clone:\n  git:\n    image: plugins/git\npipeline:\n  build:\n    image: golang\n');
    expect(ruleAt(file)).toEqual(['4:1 legacy-format']);
    expect(file.documents).toEqual([]);
  });
});

describe('YAML dialect', () => {
  it('keeps source text in string fields: 1.10 stays 1.10, yes stays yes', () => {
    const pipeline = onlyPipeline(`kind: pipeline
steps:
- name: test
  image: golang:1.10
  environment:
    GOVERSION: 1.10
    FLAG: yes
    MODE: 0755
    QUOTED: "a\\tb"
    EMPTY: ""
    UNSET:
`);
    const environment = Object.fromEntries(pipeline.steps[0]?.environment ?? []);
    expect(environment).toEqual({
      GOVERSION: { kind: 'value', value: '1.10' },
      FLAG: { kind: 'value', value: 'yes' },
      MODE: { kind: 'value', value: '0755' },
      QUOTED: { kind: 'value', value: 'a\tb' },
      EMPTY: { kind: 'value', value: '' },
    });
  });

  it('types plugin settings with YAML 1.1 rules, as go-yaml v2 does', () => {
    const pipeline = onlyPipeline(`kind: pipeline
steps:
- name: publish
  image: plugins/docker
  settings:
    version: 1.10
    enabled: yes
    off_word: off
    mode: 0755
    hex: 0x1F
    big: 1_000
    text: "1.10"
    date: 2001-12-14
    list: [a, 1, true]
    secret:
      from_secret: token
    nothing: ~
`);
    const settings = Object.fromEntries(pipeline.steps[0]?.settings ?? []) as Record<string, SettingValue>;
    expect(settings.version).toEqual({ kind: 'value', value: { type: 'float', value: 1.1 } });
    expect(settings.enabled).toEqual({ kind: 'value', value: { type: 'bool', value: true } });
    expect(settings.off_word).toEqual({ kind: 'value', value: { type: 'bool', value: false } });
    expect(settings.mode).toEqual({ kind: 'value', value: { type: 'int', value: 493n } });
    expect(settings.hex).toEqual({ kind: 'value', value: { type: 'int', value: 31n } });
    expect(settings.big).toEqual({ kind: 'value', value: { type: 'int', value: 1000n } });
    expect(settings.text).toEqual({ kind: 'value', value: { type: 'string', value: '1.10' } });
    expect(settings.date).toEqual({ kind: 'value', value: { type: 'string', value: '2001-12-14' } });
    expect(settings.secret).toEqual({ kind: 'secret', secret: 'token' });
    expect(settings.nothing).toBeUndefined();
  });

  it('applies anchors and merge keys, later explicit keys winning', () => {
    const pipeline = onlyPipeline(`kind: pipeline
x-defaults: &defaults
  image: golang:1.22
  pull: always
  commands: [go test]
steps:
- <<: *defaults
  name: test
- <<: *defaults
  name: lint
  image: golangci/golangci-lint
`);
    expect(pipeline.steps.map((step) => [step.name, step.image, step.pull, step.commands])).toEqual([
      ['test', 'golang:1.22', 'always', ['go test']],
      ['lint', 'golangci/golangci-lint', 'always', ['go test']],
    ]);
  });

  it('merges a list of maps with the first one winning', () => {
    const pipeline = onlyPipeline(`kind: pipeline
a: &a {image: first}
b: &b {image: second, pull: never}
steps:
- name: s
  <<: [*a, *b]
`);
    expect([pipeline.steps[0]?.image, pipeline.steps[0]?.pull]).toEqual(['first', 'never']);
  });

  it('rejects an alias whose anchor is not defined before it', () => {
    const file = parse('kind: pipeline\nname: *later\nx-later: &later y\n');
    expect(ruleAt(file)).toEqual(['2:7 yaml-syntax', '3:1 unknown-key']);
    expect(file.problems[0]?.message).toContain('unknown anchor "later"');
  });

  it('accepts a tab after a plain scalar, as go-yaml does', () => {
    const pipeline = onlyPipeline(
      'kind: pipeline\nsteps:\n- name: a\n  image: x\n  commands:\n  - go get ./...\t\n',
    );
    expect(pipeline.steps[0]?.commands).toEqual(['go get ./...']);
  });

  it('keeps the last of duplicate keys, as go-yaml v2 does, and warns with both lines', () => {
    const file = parse('kind: pipeline\ntrigger:\n  event: [tag]\nname: x\ntrigger:\n  event: [push]\n');
    expect(pipelinesOf(file)[0]?.trigger.event.include).toEqual(['push']);
    expect(file.problems).toMatchObject([
      {
        severity: 'warning',
        rule: 'duplicate-key',
        line: 5,
        col: 1,
        message: expect.stringContaining('line 2'),
      },
    ]);
  });
});

describe('fields and types', () => {
  it('reads every pipeline field', () => {
    const pipeline = onlyPipeline(`kind: pipeline
type: docker
name: full
platform: {os: linux, arch: arm64}
node: {disk: ssd}
concurrency: {limit: 2}
depends_on: [other]
clone: {disable: false, depth: 50, retries: 3, skip_verify: true, trace: true}
workspace: {base: /go, path: src/x}
environment: {A: "1"}
image_pull_secrets: [dockerconfig]
volumes:
- name: cache
  temp: {medium: memory, size_limit: 1GiB}
- name: sock
  host: {path: /var/run/docker.sock}
services:
- name: db
  image: postgres
steps:
- name: build
  image: golang
  entrypoint: [/bin/sh]
  command: [-c, make]
  detach: true
  failure: ignore
  privileged: true
  user: "1000"
  working_dir: /src
  network_mode: host
  dns: [1.1.1.1]
  dns_search: [example.com]
  extra_hosts: ["db:10.0.0.2"]
  devices: [{name: sock, path: /dev/x}]
  volumes: [{name: cache, path: /cache}]
  mem_limit: 512m
  memswap_limit: 1073741824
  shm_size: 64MB
`);
    expect(pipeline).toMatchObject({
      type: 'docker',
      name: 'full',
      platform: { os: 'linux', arch: 'arm64', variant: '', version: '' },
      concurrency: { limit: 2 },
      dependsOn: ['other'],
      clone: { disable: false, depth: 50, retries: 3, skipVerify: true, trace: true },
      workspace: { base: '/go', path: 'src/x' },
      imagePullSecrets: ['dockerconfig'],
      volumes: [
        { name: 'cache', temp: { medium: 'memory', sizeLimit: 1024 ** 3 }, host: null },
        { name: 'sock', temp: null, host: { path: '/var/run/docker.sock' } },
      ],
    });
    expect(Object.fromEntries(pipeline.node)).toEqual({ disk: 'ssd' });
    expect(Object.fromEntries(pipeline.environment)).toEqual({ A: '1' });
    expect(pipeline.steps[0]).toMatchObject({
      entrypoint: ['/bin/sh'],
      command: ['-c', 'make'],
      detach: true,
      failure: 'ignore',
      privileged: true,
      user: '1000',
      workingDir: '/src',
      networkMode: 'host',
      dns: ['1.1.1.1'],
      dnsSearch: ['example.com'],
      extraHosts: ['db:10.0.0.2'],
      devices: [{ name: 'sock', path: '/dev/x' }],
      volumes: [{ name: 'cache', path: '/cache' }],
      memLimit: 512 * 1024 ** 2,
      memSwapLimit: 1073741824,
      shmSize: 64 * 1024 ** 2,
    });
  });

  it('reports wrong types at the value, as errors', () => {
    const file = parse(`kind: pipeline
steps:
- name: a
  image: x
  commands: make
  privileged: "true"
  depends_on: {a: b}
  mem_limit: lots
clone:
  depth: deep
`);
    expect(ruleAt(file)).toEqual([
      '5:13 wrong-type',
      '6:15 wrong-type',
      '7:15 wrong-type',
      '8:14 wrong-type',
      '10:10 wrong-type',
    ]);
    expect(file.problems[0]?.message).toBe('commands must be a list of strings, not a string');
  });

  it('warns about unknown keys where they are written, and about keys the docker runner ignores', () => {
    const file = parse(`kind: pipeline
stpes: []
steps:
- name: a
  image: x
  secrets: [token]
  when:
    branchs: master
`);
    expect(ruleAt(file)).toEqual(['2:1 unknown-key', '6:3 unknown-key', '8:5 unknown-key']);
    expect(file.problems.every((problem) => problem.severity === 'warning')).toBe(true);
  });

  it('rejects from_secret in the pipeline environment (the runner cannot decode it)', () => {
    const file = parse('kind: pipeline\nenvironment:\n  TOKEN:\n    from_secret: token\n');
    expect(ruleAt(file)).toEqual(['3:3 pipeline-environment-secret']);
  });

  it('reads the other kinds and ignores unknown ones with a warning', () => {
    const file = parse(`kind: secret
name: token
get: {path: secret/data/ci, name: token}
---
kind: signature
hmac: abc
---
kind: approval
`);
    expect(file.documents.map((document) => document.resource)).toEqual([
      { kind: 'secret', name: 'token', data: '', get: { path: 'secret/data/ci', name: 'token', key: '' } },
      { kind: 'signature', hmac: 'abc' },
      { kind: 'other', declaredKind: 'approval' },
    ]);
    expect(ruleAt(file)).toEqual(['8:1 unknown-kind']);
  });

  it('keeps a pipeline of another type to its name, type and dependencies', () => {
    const [pipeline] = pipelinesOf(
      parse('kind: pipeline\ntype: exec\nname: host\nserver: {host: x}\ndepends_on: [a]\n'),
    );
    expect(pipeline).toMatchObject({ type: 'exec', name: 'host', dependsOn: ['a'], steps: [] });
  });
});

describe('positions', () => {
  it('point into the file, counting from the document’s first line', () => {
    const file = parse(
      'kind: pipeline\nname: a\n---\nkind: pipeline\nname: b\nsteps:\n  - name: x\n    image: y\n    depends_on: [nope]\n',
    );
    const document = file.documents[1];
    expect(document?.positionOf('steps[0]')).toEqual({ line: 7, col: 5 });
    expect(document?.positionOf('steps[0].depends_on[0]')).toEqual({ line: 9, col: 18 });
    expect(document?.positionOf('steps[0].no.such.path')).toEqual({ line: 7, col: 5 });
  });
});
