// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/** Planning a build as Drone's server and runner would (spec §5, §6): stages, dependencies, substitution. */
import { describe, expect, it } from 'vitest';
import { planPipelines, signatureOf, summarizePlan, verifySignature } from '../../sidecar/pipeline/index.ts';
import { context, parse } from './support.ts';

const MULTI = `kind: pipeline
name: test
steps:
- {name: test, image: golang, commands: [go test]}
---
kind: pipeline
name: publish
trigger:
  event: [tag]
depends_on: [test]
steps:
- {name: publish, image: plugins/docker}
---
kind: pipeline
name: notify
trigger:
  status: [success, failure]
depends_on: [publish]
steps:
- {name: notify, image: plugins/slack}
---
kind: pipeline
type: exec
name: on-host
steps:
- {name: x, commands: [uname]}
`;

describe('stages', () => {
  it('exist for matching docker pipelines only, numbered in file order', () => {
    const result = planPipelines(parse(MULTI), context());
    expect(result.error).toBeNull();
    expect(result.plan.stages.map((stage) => [stage.number, stage.name])).toEqual([
      [1, 'test'],
      [2, 'notify'],
    ]);
    expect(result.pipelines.map((pipeline) => [pipeline.name, pipeline.runs, pipeline.skipReason])).toEqual([
      ['test', true, null],
      ['publish', false, 'event: does not match event "push"'],
      ['notify', true, null],
    ]);
    expect(result.ignored).toEqual([{ name: 'on-host', type: 'exec' }]);
  });

  it('bypass skipped dependencies: notify waits for test when publish does not run', () => {
    const [test, notify] = planPipelines(parse(MULTI), context()).plan.stages;
    expect(test).toMatchObject({
      dependsOn: [],
      initialStatus: 'pending',
      onSuccess: true,
      onFailure: false,
    });
    expect(notify).toMatchObject({
      dependsOn: ['test'],
      initialStatus: 'waiting_on_dependencies',
      onSuccess: true,
      onFailure: true,
    });
  });

  it('keep real dependencies on a tag, where every pipeline runs', () => {
    const stages = planPipelines(parse(MULTI), context({ event: 'tag', branch: 'v1.0.0' })).plan.stages;
    expect(stages.map((stage) => [stage.name, stage.dependsOn])).toEqual([
      ['test', []],
      ['publish', ['test']],
      ['notify', ['publish']],
    ]);
  });

  it('start blocked when the repository is protected and the signature does not verify', () => {
    const stages = planPipelines(parse(MULTI), context(), { signatureVerified: false }).plan.stages;
    expect(stages.map((stage) => stage.initialStatus)).toEqual(['blocked', 'blocked']);
  });

  it('export DRONE_STAGE_* with the rewired dependencies', () => {
    const notify = planPipelines(parse(MULTI), context()).plan.stages[1];
    expect(notify?.environment).toMatchObject({
      DRONE_STAGE_NAME: 'notify',
      DRONE_STAGE_NUMBER: '2',
      DRONE_STAGE_DEPENDS_ON: 'test',
      DRONE_STAGE_OS: 'linux',
      DRONE_STAGE_ARCH: 'amd64',
      DRONE_STAGE_KIND: 'pipeline',
      DRONE_STAGE_TYPE: 'docker',
    });
  });
});

describe('substitution per stage', () => {
  const text = `kind: pipeline
name: build
steps:
- name: build
  image: golang:\${GO_VERSION=1.22}
  commands:
  - echo \${DRONE_STAGE_NAME} \${DRONE_TAG##v} $$HOME \${DRONE_COMMIT_SHA:0:7}
  when:
    branch: \${DRONE_REPO_BRANCH}
---
kind: pipeline
name: lint
steps:
- name: lint
  image: golangci/golangci-lint
  commands:
  - echo \${DRONE_STAGE_NAME}
`;

  it('substitutes Drone’s variables into the raw file before parsing, per stage', () => {
    const result = planPipelines(
      parse(text),
      context({ event: 'tag', branch: 'v1.2.3', sha: '0123456789abcdef' }),
    );
    const [build, lint] = result.plan.stages;
    expect(build?.steps[1]?.image).toBe('docker.io/library/golang:1.22');
    expect(build?.steps[1]?.environment.DRONE_SCRIPT).toContain('\necho build 1.2.3 $HOME 0123456\n');
    expect(lint?.steps[1]?.environment.DRONE_SCRIPT).toContain('\necho lint\n');
  });

  it('evaluates when after substitution (the branch condition becomes the default branch)', () => {
    const onMaster = planPipelines(parse(text), context({ branch: 'master' })).plan.stages[0];
    const onDev = planPipelines(parse(text), context({ branch: 'dev' })).plan.stages[0];
    expect(onMaster?.steps[1]?.runPolicy).toBe('on-success');
    expect(onDev?.steps[1]?.runPolicy).toBe('never');
  });

  it('uses custom build parameters as variables', () => {
    const stage = planPipelines(parse(text), context({ params: { GO_VERSION: '1.21' } })).plan.stages[0];
    expect(stage?.steps[1]?.image).toBe('docker.io/library/golang:1.21');
    expect(stage?.environment.GO_VERSION).toBe('1.21');
  });

  it('a raw file whose ${...} is not valid YAML as written is a build error, as on Drone’s server', () => {
    const result = planPipelines(
      parse('kind: pipeline\nsteps:\n- {name: a, image: x, commands: [echo ${A}]}\n'),
      context(),
    );
    expect(result.error).toMatch(/^\.drone\.yml:3:\d+: /);
  });

  it('fails only the stage when a substituted value breaks the YAML', () => {
    const broken =
      'kind: pipeline\nname: a\nsteps:\n- name: a\n  image: alpine\n  commands:\n  - echo ${MESSAGE}\n';
    const result = planPipelines(parse(broken), context({ params: { MESSAGE: 'x: [y' } }));
    expect(result.error).toBeNull();
    expect(result.plan.stages[0]?.error).toMatch(/^\.drone\.yml:\d+:\d+: Flow sequence/);
  });
});

describe('errors', () => {
  it('an errored build for what the server rejects, with the position', () => {
    const result = planPipelines(parse('kind: pipeline\nname: a\n---\nkind: pipeline\nname: a\n'), context());
    expect(result.error).toBe('.drone.yml:5:1: duplicate pipeline name "a" (also on line 2)');
    expect(result.plan.stages).toEqual([]);
  });

  it('a stage error for what only the runner rejects', () => {
    const result = planPipelines(
      parse('kind: pipeline\nsteps:\n- name: a\n  image: alpine\n  privileged: true\n'),
      context(),
    );
    expect(result.error).toBeNull();
    expect(result.plan.stages[0]?.error).toBe(
      '.drone.yml:5:3: untrusted repositories cannot enable privileged mode',
    );
    expect(
      planPipelines(
        parse('kind: pipeline\nsteps:\n- {name: a, image: x, privileged: true}\n'),
        context({ trusted: true }),
      ).plan.stages[0]?.error,
    ).toBeNull();
  });

  it('no stages (so no build) when nothing matches', () => {
    const result = planPipelines(parse('kind: pipeline\ntrigger: {event: [tag]}\nsteps: []\n'), context());
    expect(result.plan.stages).toEqual([]);
    expect(result.error).toBeNull();
  });
});

describe('signature and secrets', () => {
  const unsigned = 'kind: pipeline\nsteps: []\n---\nkind: secret\nname: token\ndata: abc\n';
  const key = 'k'.repeat(32);

  it('signs every document but the signature, and verifies in constant time', () => {
    const file = parse(unsigned);
    const hmac = signatureOf(file, key);
    const signed = parse(`${unsigned}---\nkind: signature\nhmac: ${hmac}\n\n...\n`);
    expect(verifySignature(signed, key)).toBe('verified');
    expect(verifySignature(signed, 'x'.repeat(32))).toBe('mismatch');
    expect(
      verifySignature(parse(`${unsigned.replace('abc', 'abd')}---\nkind: signature\nhmac: ${hmac}\n`), key),
    ).toBe('mismatch');
    expect(verifySignature(file, key)).toBe('unsigned');
  });

  it('passes in-file secrets to the plan', () => {
    expect(planPipelines(parse(unsigned), context()).plan.fileSecrets).toEqual([
      { name: 'token', data: 'abc', get: null },
    ]);
  });
});

describe('summarizePlan', () => {
  it('has the documented JSON shape', () => {
    const summary = summarizePlan(
      planPipelines(
        parse(`kind: pipeline
services:
- {name: db, image: postgres}
steps:
- {name: build, image: "golang:1.22", depends_on: [db]}
- {name: deploy, image: alpine, when: {event: tag}}
---
kind: pipeline
type: exec
name: x
`),
        context(),
      ),
    );
    expect(summary).toEqual({
      pipelines: [
        {
          name: 'default',
          type: 'docker',
          runs: true,
          depends_on: [],
          clone: true,
          steps: [
            { name: 'build', image: 'golang:1.22', run_policy: 'on-success', depends_on: ['db'], number: 3 },
            {
              name: 'deploy',
              image: 'alpine',
              run_policy: 'never',
              depends_on: ['clone'],
              number: null,
              excluded_by: 'event: does not match event "push"',
            },
          ],
          services: ['db'],
        },
      ],
      ignored: [{ name: 'x', type: 'exec' }],
    });
  });
});

describe('whether a plan reads the changed paths', () => {
  const reads = (text: string, input: Parameters<typeof context>[0] = {}) =>
    planPipelines(parse(text), context({ event: 'push', branch: 'main', ...input })).readsChangedPaths;
  const step = (when: string) =>
    `kind: pipeline\nname: a\nsteps:\n- name: s\n  image: busybox\n  commands: [true]\n${when}`;

  it('does for a trigger, a step or a service with paths, and not otherwise', () => {
    expect(reads(step(''))).toBe(false);
    expect(reads(step('  when: {branch: [main], event: [push]}\n'))).toBe(false);
    expect(reads(step('  when: {paths: [src/**]}\n'))).toBe(true);
    expect(reads(step('  when: {paths: {exclude: [docs/**]}}\n'))).toBe(true);
    expect(reads(`${step('')}trigger: {paths: [src/**]}\n`)).toBe(true);
    expect(
      reads(
        'kind: pipeline\nname: a\nservices:\n- {name: db, image: redis, when: {paths: [db/**]}}\nsteps:\n- {name: s, image: busybox}\n',
      ),
    ).toBe(true);
  });

  it('does for a paths condition that substitution writes, and for a pipeline its trigger skips', () => {
    // What substitution makes of the file is what is planned.
    const keyed = step('  when:\n    ${KEY}: [src/**]\n');
    expect(reads(keyed, { params: { KEY: 'paths' } })).toBe(true);
    expect(reads(keyed, { params: { KEY: 'branch' } })).toBe(false);
    expect(reads(`${step('')}trigger: {event: [tag], paths: [src/**]}\n`)).toBe(true);
  });

  it('does not for pipelines of other types or a file that does not plan', () => {
    expect(reads('kind: pipeline\ntype: exec\nname: a\ntrigger: {paths: [x]}\nsteps:\n- {name: s}\n')).toBe(
      false,
    );
    expect(reads('kind: pipeline\nname: a\nsteps: {}\ntrigger: {paths: [x]}\n')).toBe(false);
  });
});

describe('id_tokens', () => {
  const planOf = (tokens: string) =>
    planPipelines(
      parse(`kind: pipeline\nname: a\nsteps:\n- name: s\n  image: busybox\n  id_tokens:\n${tokens}`),
      context({ event: 'push', branch: 'main' }),
    );

  it('compiles each variable with its audience into the step', () => {
    const result = planOf(
      '    AWS_TOKEN: {aud: sts.amazonaws.com}\n    vault_token: {aud: " https://vault "}\n',
    );
    expect(result.error).toBeNull();
    const step = result.plan.stages[0]?.steps.find((each) => each.name === 's');
    expect(step?.idTokens).toEqual([
      { env: 'AWS_TOKEN', audience: 'sts.amazonaws.com' },
      { env: 'vault_token', audience: 'https://vault' },
    ]);
  });

  it('refuses a name that is not a variable, a missing or oversized audience, and unknown keys', () => {
    const rules = (tokens: string) =>
      planOf(tokens).problems.map((problem) => `${problem.severity} ${problem.rule}: ${problem.message}`);
    expect(rules('    "A-B": {aud: x}\n')).toEqual([
      'error invalid-id-token: id_tokens: "A-B" is not a variable name',
    ]);
    expect(rules('    A: x\n')[0]).toMatch(/^error invalid-id-token: id_tokens.A must be a mapping with aud/);
    expect(rules('    A: {}\n')[0]).toMatch(/^error invalid-id-token: id_tokens.A.aud must be the audience/);
    expect(rules(`    A: {aud: ${'a'.repeat(257)}}\n`)[0]).toMatch(/id_tokens.A.aud must be/);
    expect(rules('    A: {aud: x, sub: y}\n')[0]).toMatch(/^warning unknown-key/);
  });
});
