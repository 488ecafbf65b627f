/** Builds to seed a store with: Drone-like defaults (a push to master, one stage with clone and test), each part overridable. */
import type { BuildOrigin, NewBuild, NewStage, NewStep } from '../../sidecar/core/index.ts';

export function testOrigin(change: Partial<BuildOrigin> = {}): BuildOrigin {
  return {
    event: 'push',
    action: '',
    ref: 'refs/heads/master',
    source: 'master',
    target: 'master',
    before: '0'.repeat(40),
    after: 'a'.repeat(40),
    message: 'one',
    title: '',
    link: '',
    authorLogin: 'alice',
    authorName: 'Alice',
    authorEmail: 'alice@example.com',
    authorAvatar: '',
    sender: 'alice',
    pullRequest: 0,
    fork: '',
    params: {},
    cron: '',
    deployTo: '',
    ...change,
  };
}

export function testStep(number: number, name: string, change: Partial<NewStep> = {}): NewStep {
  return {
    number,
    name,
    image: 'golang:1.22',
    status: 'pending',
    detached: false,
    errIgnore: false,
    dependsOn: [],
    ...change,
  };
}

export function testStage(number: number, name: string, change: Partial<NewStage> = {}): NewStage {
  return {
    number,
    name,
    kind: 'pipeline',
    type: 'docker',
    status: 'pending',
    error: null,
    os: 'linux',
    arch: 'amd64',
    variant: '',
    limit: 0,
    dependsOn: [],
    onSuccess: true,
    onFailure: false,
    labels: {},
    steps: [testStep(1, 'clone', { image: 'drone/git' }), testStep(2, 'test', { dependsOn: ['clone'] })],
    ...change,
  };
}

export function testBuild(repoId: number, idempotencyKey: string, change: Partial<NewBuild> = {}): NewBuild {
  return {
    repoId,
    idempotencyKey,
    origin: testOrigin(),
    status: 'pending',
    error: null,
    parent: 0,
    config: 'kind: pipeline\nsteps:\n- name: test\n  image: golang:1.22\n',
    changedPaths: null,
    stages: [testStage(1, 'default')],
    ...change,
  };
}
