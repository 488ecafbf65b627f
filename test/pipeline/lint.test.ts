// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/** Lint rules with their positions: what Drone rejects is an error, what it silently ignores a warning. */
import { describe, expect, it } from 'vitest';
import { lintPipelineFile, type Problem } from '../../sidecar/pipeline/index.ts';
import { parse } from './support.ts';

function lint(text: string, trusted = false): Problem[] {
  return lintPipelineFile(parse(text), { trusted });
}

function rules(problems: Problem[]): string[] {
  return problems.map((problem) => `${problem.line}:${problem.col} ${problem.severity} ${problem.rule}`);
}

describe('lint: names', () => {
  it('rejects duplicate and missing step names, counting services and the clone step', () => {
    const problems = lint(`kind: pipeline
services:
- name: db
  image: postgres
steps:
- name: clone
  image: alpine/git
- name: db
  image: alpine
- image: alpine
`);
    expect(rules(problems)).toEqual([
      '6:3 error duplicate-step-name',
      '8:3 error duplicate-step-name',
      '10:3 error missing-step-name',
    ]);
    expect(problems[0]?.message).toBe('duplicate step name "clone" (same as the clone step)');
    expect(problems[1]?.message).toBe('duplicate step name "db" (same as the service on line 3)');
  });

  it('allows a step named clone when cloning is disabled', () => {
    expect(
      lint('kind: pipeline\nclone: {disable: true}\nsteps:\n- name: clone\n  image: alpine/git\n'),
    ).toEqual([]);
  });

  it('rejects step names over 100 characters and steps without an image', () => {
    const problems = lint(`kind: pipeline\nsteps:\n- name: ${'x'.repeat(101)}\n  image: alpine\n- name: b\n`);
    expect(rules(problems)).toEqual(['3:3 error step-name-too-long', '5:3 error missing-image']);
  });

  it('rejects duplicate pipeline names, including two unnamed pipelines', () => {
    const problems = lint(
      'kind: pipeline\n---\nkind: pipeline\n---\nkind: pipeline\nname: a\n---\nkind: pipeline\nname: a\n',
    );
    expect(rules(problems)).toEqual([
      '3:1 error duplicate-pipeline-name',
      '9:1 error duplicate-pipeline-name',
    ]);
  });
});

describe('lint: dependencies', () => {
  it('rejects unknown, later and self step dependencies at the entry', () => {
    const problems = lint(`kind: pipeline
steps:
- name: a
  image: x
  depends_on: [b]
- name: b
  image: x
  depends_on: [b, clone, nope]
`);
    expect(rules(problems)).toEqual([
      '5:16 error later-step-dependency',
      '8:16 error step-self-dependency',
      '8:26 error unknown-step-dependency',
    ]);
  });

  it('allows depends_on clone only while cloning is enabled', () => {
    const step = 'steps:\n- name: a\n  image: x\n  depends_on: [clone]\n';
    expect(lint(`kind: pipeline\n${step}`)).toEqual([]);
    expect(rules(lint(`kind: pipeline\nclone: {disable: true}\n${step}`))).toEqual([
      '6:16 error unknown-step-dependency',
    ]);
  });

  it('reports a dependency cycle', () => {
    const problems = lint(`kind: pipeline
steps:
- name: a
  image: x
  depends_on: [b]
- name: b
  image: x
  depends_on: [a]
`);
    expect(problems.find((problem) => problem.rule === 'step-cycle')?.message).toBe(
      'step dependency cycle: a -> b -> a',
    );
  });

  it('checks pipeline dependencies against earlier pipelines of any type', () => {
    const problems = lint(`kind: pipeline
name: a
depends_on: [b]
---
kind: pipeline
type: exec
name: b
---
kind: pipeline
name: c
depends_on: [b, c, d]
`);
    expect(rules(problems)).toEqual([
      '3:14 error later-pipeline-dependency',
      '6:1 warning ignored-pipeline-type',
      '11:17 error pipeline-self-dependency',
      '11:20 error unknown-pipeline-dependency',
    ]);
  });
});

describe('lint: trusted-only settings', () => {
  const text = `kind: pipeline
volumes:
- name: docker
  host: {path: /var/run/docker.sock}
- name: cache
  temp: {medium: memory}
steps:
- name: a
  image: docker
  privileged: true
  network_mode: host
  dns: [1.1.1.1]
  dns_search: [x]
  extra_hosts: [a:1.2.3.4]
  shm_size: 1g
  devices: [{name: docker, path: /dev/x}]
`;

  it('are errors for an untrusted repository, one per setting, at the setting', () => {
    const problems = lint(text).filter((problem) => problem.rule === 'untrusted-repository');
    expect(problems.map((problem) => [problem.line, problem.message])).toEqual([
      [4, 'untrusted repositories cannot mount host volumes'],
      [6, 'untrusted repositories cannot mount in-memory volumes'],
      [10, 'untrusted repositories cannot enable privileged mode'],
      [11, 'untrusted repositories cannot configure network_mode'],
      [12, 'untrusted repositories cannot configure dns'],
      [13, 'untrusted repositories cannot configure dns_search'],
      [14, 'untrusted repositories cannot configure extra_hosts'],
      [15, 'untrusted repositories cannot configure shm_size'],
      [16, 'untrusted repositories cannot mount devices'],
    ]);
  });

  it('are fine for a trusted repository', () => {
    expect(lint(text, true).filter((problem) => problem.severity === 'error')).toEqual([]);
  });
});

describe('lint: volumes, platform, conditions, policies', () => {
  it('rejects reserved volume names and /run/drone mounts; warns about undeclared volumes', () => {
    const problems = lint(`kind: pipeline
volumes:
- name: workspace
  temp: {}
steps:
- name: a
  image: x
  volumes:
  - name: missing
    path: /run/drone/x
`);
    expect(rules(problems)).toEqual([
      '3:3 error reserved-volume-name',
      '9:5 warning unknown-volume',
      '10:5 error restricted-mount-path',
    ]);
  });

  it('rejects an unsupported os or arch for docker pipelines only', () => {
    expect(rules(lint('kind: pipeline\nplatform: {os: darwin, arch: mips}\n'))).toEqual([
      '2:12 error unsupported-os',
      '2:24 error unsupported-arch',
    ]);
    expect(rules(lint('kind: pipeline\ntype: exec\nplatform: {os: darwin}\n'))).toEqual([
      '2:1 warning ignored-pipeline-type',
    ]);
  });

  it('rejects malformed globs and warns about unknown events and statuses', () => {
    const problems = lint(`kind: pipeline
trigger:
  branch: ["feature/["]
  event: [push, merge]
steps:
- name: a
  image: x
  when:
    status: [changed]
`);
    expect(rules(problems)).toEqual([
      '3:3 error bad-glob',
      '4:3 warning unknown-event',
      '9:5 warning unknown-status',
    ]);
  });

  it('warns about failure and pull values Drone does not know', () => {
    expect(
      rules(lint('kind: pipeline\nsteps:\n- name: a\n  image: x\n  failure: maybe\n  pull: true\n')),
    ).toEqual(['5:3 warning unknown-failure', '6:3 warning unknown-pull']);
  });

  it('finds a ${...} syntax error anywhere in the file, comments included', () => {
    const problems = lint('kind: pipeline\n# deploy ${VERSION\nsteps: []\n');
    expect(rules(problems)).toEqual(['2:10 error bad-substitution']);
  });
});
