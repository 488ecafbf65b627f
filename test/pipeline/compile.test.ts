// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/** Compiling a pipeline as drone-runner-docker does (spec §7): scripts, images, environment, policies, order. */
import { describe, expect, it } from 'vitest';
import type { PlanStage, PlanStep } from '../../sidecar/core/plan.ts';
import type { YamlData } from '../../sidecar/pipeline/document.ts';
import { expandImage, planPipelines, posixScript, stepEnvironment } from '../../sidecar/pipeline/index.ts';
import { encodeSetting, formatGoFloat } from '../../sidecar/pipeline/settings-env.ts';
import { createWorkspace } from '../../sidecar/pipeline/workspace.ts';
import { context, onlyPipeline, parse } from './support.ts';

function stageOf(text: string, input: Parameters<typeof context>[0] = {}): PlanStage {
  const result = planPipelines(parse(text), context({ trusted: true, ...input }));
  if (result.error !== null) throw new Error(result.error);
  const stage = result.pipelines[0]?.stage;
  if (stage === undefined) throw new Error('no stage');
  return stage;
}

function step(stage: PlanStage, name: string): PlanStep {
  const found = stage.steps.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no step ${name}`);
  return found;
}

describe('the command script', () => {
  it('is exactly Drone’s: preamble, set -e, an echo + "cmd" trace before each command, no set -x', () => {
    const script = posixScript(['go build', 'echo "hi $USER"']);
    expect(
      script.startsWith(
        '\n\nif [ ! -z "${DRONE_NETRC_FILE}" ]; then\n\techo $DRONE_NETRC_FILE > $HOME/.netrc\n',
      ),
    ).toBe(true);
    expect(script).toContain('\nunset DRONE_SCRIPT\nunset DRONE_NETRC_MACHINE\n');
    expect(script).toContain('\nset -e\n');
    expect(script).not.toContain('set -x');
    expect(
      script.endsWith('\n\necho + "go build"\ngo build\n\necho + "echo \\"hi \\$USER\\""\necho "hi $USER"\n'),
    ).toBe(true);
  });

  it('Go-quotes multi-line commands in the trace and runs them as written', () => {
    expect(posixScript(['a\tb\nc'])).toContain('\necho + "a\\tb\\nc"\na\tb\nc\n');
  });

  it('replaces the entrypoint: /bin/sh -c piping $DRONE_SCRIPT to the image’s shell', () => {
    const build = step(
      stageOf(
        'kind: pipeline\nsteps:\n- name: build\n  image: golang\n  entrypoint: [x]\n  commands: [make]\n',
      ),
      'build',
    );
    expect(build.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(build.command).toEqual(['echo "$DRONE_SCRIPT" | /bin/sh']);
    expect(build.environment.DRONE_SCRIPT).toBe(posixScript(['make']));
  });

  it('uses PowerShell on windows', () => {
    const build = step(
      stageOf(
        'kind: pipeline\nplatform: {os: windows}\nsteps:\n- name: build\n  image: mcr/x\n  commands: [echo $Env:X]\n',
      ),
      'build',
    );
    expect(build.entrypoint).toEqual(['powershell', '-noprofile', '-noninteractive', '-command']);
    expect(build.command).toEqual(['echo $Env:DRONE_SCRIPT | iex']);
    expect(build.environment.SHELL).toBe('powershell.exe');
    expect(build.environment.DRONE_SCRIPT).toContain(
      '\necho "+ echo `$Env:X"\necho $Env:X\nif ($LastExitCode -gt 0) { exit $LastExitCode }\n',
    );
  });

  it('keeps a plugin’s own entrypoint and command when there are no commands', () => {
    const plugin = step(
      stageOf('kind: pipeline\nsteps:\n- name: p\n  image: plugins/slack\n  command: [--verbose]\n'),
      'p',
    );
    expect([plugin.entrypoint, plugin.command, plugin.environment.DRONE_SCRIPT]).toEqual([
      [],
      ['--verbose'],
      undefined,
    ]);
  });
});

describe('images and pull policy', () => {
  it('normalises references like docker does', () => {
    expect(expandImage('golang')).toBe('docker.io/library/golang:latest');
    expect(expandImage('golang:1.22')).toBe('docker.io/library/golang:1.22');
    expect(expandImage('org/x:1')).toBe('docker.io/org/x:1');
    expect(expandImage('index.docker.io/library/golang:1.0')).toBe('docker.io/library/golang:1.0');
    expect(expandImage('reg.io:5000/x')).toBe('reg.io:5000/x:latest');
    expect(expandImage('gcr.io/golang:1.0.0')).toBe('gcr.io/golang:1.0.0');
    expect(expandImage(`node:22@sha256:${'a'.repeat(64)}`)).toBe(
      `docker.io/library/node:22@sha256:${'a'.repeat(64)}`,
    );
    expect(expandImage('foo/bar?baz:boo')).toBe('foo/bar?baz:boo');
    expect(expandImage('Upper/Case')).toBe('Upper/Case');
  });

  it('maps pull case-insensitively, anything else (pull: true) to default', () => {
    const stage = stageOf(`kind: pipeline
steps:
- {name: a, image: x, pull: Always}
- {name: b, image: x, pull: if-not-exists}
- {name: c, image: x, pull: "true"}
- {name: d, image: x}
`);
    expect(stage.steps.map((item) => item.pull)).toEqual([
      'if-not-exists',
      'always',
      'if-not-exists',
      'default',
      'default',
    ]);
  });
});

describe('settings into PLUGIN_* variables', () => {
  const encode = (value: YamlData) => encodeSetting(value);

  it('upper-cases the key only, and encodes by YAML type', () => {
    const plugin = step(
      stageOf(`kind: pipeline
steps:
- name: p
  image: plugins/s3
  settings:
    build_args: [a, b]
    foo-bar: 1.10
    flag: yes
    mode: 0755
    json: [{a: 1}]
    nested: {b: 2, a: "<x>"}
    token: {from_secret: aws}
`),
      'p',
    );
    expect(plugin.environment).toMatchObject({
      PLUGIN_BUILD_ARGS: 'a,b',
      'PLUGIN_FOO-BAR': '1.1',
      PLUGIN_FLAG: 'true',
      PLUGIN_MODE: '493',
      PLUGIN_JSON: '[{"a":1}]',
      PLUGIN_NESTED: '{"a":"\\u003cx\\u003e","b":2}',
    });
    expect(plugin.secrets).toEqual([{ env: 'PLUGIN_TOKEN', secret: 'aws' }]);
    expect(plugin.environment.PLUGIN_TOKEN).toBeUndefined();
  });

  it('formats floats as Go’s %g does', () => {
    expect([0.1, 1.5e6, 123456, 1e21, 0.00001, -2.5, 100].map(formatGoFloat)).toEqual([
      '0.1',
      '1.5e+06',
      '123456',
      '1e+21',
      '1e-05',
      '-2.5',
      '100',
    ]);
    expect(
      encode({
        type: 'seq',
        items: [{ type: 'float', value: 1e6 }, { type: 'null' }, { type: 'bool', value: false }],
      }),
    ).toBe('1e+06,,false');
  });
});

describe('environment', () => {
  const stage = stageOf(
    `kind: pipeline
name: ci
environment:
  SHARED: pipeline
  OVERRIDE_ME: pipeline
steps:
- name: build
  image: golang
  environment:
    OVERRIDE_ME: step
    DRONE_REPO: mine
    DRONE_BUILD_EVENT: mine
    EMPTY: ""
    TOKEN: {from_secret: token}
  commands: [make]
`,
    { repo: 'octo/app', buildNumber: 7 },
  );
  const build = step(stage, 'build');
  const environment = stepEnvironment(stage, build);

  it('layers pipeline, Drone and step variables with Drone’s precedence', () => {
    expect(environment).toMatchObject({
      CI: 'true',
      DRONE: 'true',
      SHARED: 'pipeline',
      OVERRIDE_ME: 'step',
      DRONE_REPO: 'mine',
      DRONE_BUILD_EVENT: 'push',
      DRONE_BUILD_NUMBER: '7',
      DRONE_STAGE_NAME: 'ci',
      DRONE_STEP_NAME: 'build',
      DRONE_STEP_NUMBER: '2',
      DRONE_WORKSPACE: '/drone/src',
      DRONE_BUILD_LINK: 'http://localhost/octo/app/7',
      GIT_AUTHOR_NAME: 'drone',
      GIT_TERMINAL_PROMPT: '0',
    });
  });

  it('drops empty values and keeps secrets as references', () => {
    expect('EMPTY' in environment).toBe(false);
    expect('DRONE_COMMIT_SHA' in environment).toBe(false);
    expect(build.secrets).toEqual([{ env: 'TOKEN', secret: 'token' }]);
  });

  it('keeps what all steps share on the stage, and only what differs on the step', () => {
    expect(stage.environment).toMatchObject({
      SHARED: 'pipeline',
      OVERRIDE_ME: 'pipeline',
      DRONE_REPO: 'octo/app',
    });
    expect(Object.keys(build.environment).sort()).toEqual([
      'DRONE_REPO',
      'DRONE_SCRIPT',
      'DRONE_STEP_NAME',
      'DRONE_STEP_NUMBER',
      'OVERRIDE_ME',
    ]);
    const unsetting = stageOf(
      'kind: pipeline\nenvironment: {A: a}\nsteps:\n- {name: s, image: x, environment: {A: ""}}\n',
    );
    expect(step(unsetting, 's').unsetVariables).toEqual(['A']);
    expect(stepEnvironment(unsetting, step(unsetting, 's'))).not.toHaveProperty('A');
  });
});

describe('order and policies', () => {
  it('serial mode: clone, services, steps, each after the previous', () => {
    const stage = stageOf(`kind: pipeline
services:
- {name: db, image: postgres}
steps:
- {name: a, image: x, commands: [a]}
- {name: b, image: x, commands: [b]}
`);
    expect(stage.steps.map((item) => [item.name, item.role, item.dependsOn, item.number])).toEqual([
      ['clone', 'clone', [], 1],
      ['db', 'service', ['clone'], 2],
      ['a', 'step', ['db'], 3],
      ['b', 'step', ['a'], 4],
    ]);
  });

  it('graph mode: steps without depends_on wait for clone only; without clone, for nothing', () => {
    const text = `kind: pipeline
steps:
- {name: a, image: x}
- {name: b, image: x}
- {name: c, image: x, depends_on: [a, b]}
`;
    expect(stageOf(text).steps.map((item) => item.dependsOn)).toEqual([[], ['clone'], ['clone'], ['a', 'b']]);
    const noClone = stageOf(text.replace('steps:', 'clone: {disable: true}\nsteps:'));
    expect(noClone.steps.map((item) => [item.name, item.dependsOn])).toEqual([
      ['a', []],
      ['b', []],
      ['c', ['a', 'b']],
    ]);
  });

  it('never steps stay in the graph but get no number', () => {
    const stage = stageOf(`kind: pipeline
steps:
- {name: a, image: x, when: {event: tag}}
- {name: b, image: x}
`);
    expect(stage.steps.map((item) => [item.name, item.runPolicy, item.number, item.dependsOn])).toEqual([
      ['clone', 'always', 1, []],
      ['a', 'never', null, ['clone']],
      ['b', 'on-success', 2, ['a']],
    ]);
  });

  it('failure and detach policies; services always detached, without a working dir unless they run commands', () => {
    const stage = stageOf(`kind: pipeline
services:
- {name: db, image: postgres}
- {name: seeded, image: postgres, commands: [seed]}
steps:
- {name: a, image: x, failure: ignore}
- {name: b, image: x, failure: fast}
- {name: c, image: x, failure: always, detach: true}
`);
    expect(stage.steps.map((item) => [item.name, item.errorPolicy, item.detach, item.workingDir])).toEqual([
      ['clone', 'fail', false, '/drone/src'],
      ['db', 'fail', true, ''],
      ['seeded', 'fail', true, '/drone/src'],
      ['a', 'ignore', false, '/drone/src'],
      ['b', 'fail-fast', false, '/drone/src'],
      ['c', 'fail', true, ''],
    ]);
  });
});

describe('privilege, clone, workspace, volumes, limits', () => {
  it('runs docker plugins privileged unless they change command, mounts or sensitive variables', () => {
    const stage = stageOf(`kind: pipeline
volumes: [{name: v, temp: {}}]
steps:
- {name: plain, image: plugins/docker:18}
- {name: scripted, image: plugins/docker, commands: [docker ps]}
- {name: mounted, image: plugins/docker, volumes: [{name: v, path: /v}]}
- {name: home, image: plugins/ecr, environment: {HOME: /root}}
- {name: other, image: plugins/slack}
`);
    expect(stage.steps.slice(1).map((item) => [item.name, item.privileged, item.autoPrivileged])).toEqual([
      ['plain', true, true],
      ['scripted', false, false],
      ['mounted', false, false],
      ['home', false, false],
      ['other', false, false],
    ]);
    const asked = stageOf(
      'kind: pipeline\nsteps:\n- {name: dind, image: plugins/docker, privileged: true}\n',
    );
    expect(asked.steps[1]).toMatchObject({ privileged: true, autoPrivileged: false });
  });

  it('passes clone options to the clone step', () => {
    const stage = stageOf(
      'kind: pipeline\nclone: {depth: 50, retries: 3, skip_verify: true, trace: true}\nsteps: []\n',
    );
    expect(stage.steps[0]).toMatchObject({
      name: 'clone',
      image: 'docker.io/drone/git:latest',
      pull: 'if-not-exists',
      runPolicy: 'always',
      environment: {
        PLUGIN_DEPTH: '50',
        PLUGIN_RETRIES: '3',
        PLUGIN_SKIP_VERIFY: 'true',
        GIT_SSL_NO_VERIFY: 'true',
      },
    });
    expect(stage.environment.GIT_TRACE).toBe('true');
    expect(stage.clone).toEqual({ disabled: false, depth: 50, retries: 3, skipVerify: true, trace: true });
  });

  it('computes the workspace as Drone does, refusing restricted paths', () => {
    const workspace = (yaml: string) => createWorkspace(onlyPipeline(`kind: pipeline\n${yaml}`));
    expect(workspace('')).toEqual({ base: '/drone/src', path: '', full: '/drone/src' });
    expect(workspace('workspace: {base: /go, path: src/x}')).toEqual({
      base: '/go',
      path: 'src/x',
      full: '/go/src/x',
    });
    expect(workspace('workspace: {path: /abs}')).toEqual({ base: '/abs', path: '', full: '/abs' });
    expect(workspace('workspace: {path: src}')).toEqual({
      base: '/drone/src',
      path: 'src',
      full: '/drone/src/src',
    });
    expect(workspace('workspace: {base: /etc}')).toEqual({
      base: '/drone/src',
      path: '',
      full: '/drone/src',
    });
    expect(workspace('workspace: {base: /var/run}')).toEqual({
      base: '/drone/src',
      path: '',
      full: '/drone/src',
    });
    expect(workspace('platform: {os: windows}\nworkspace: {base: /go, path: src}')).toEqual({
      base: 'c:\\go',
      path: 'src',
      full: 'c:\\go\\src',
    });
  });

  it('mounts declared volumes only, and passes limits', () => {
    const stage = stageOf(`kind: pipeline
volumes:
- {name: cache, temp: {medium: memory, size_limit: 64m}}
- {name: sock, host: {path: /var/run/docker.sock}}
- {name: nothing}
steps:
- name: a
  image: x
  volumes: [{name: cache, path: /c}, {name: nothing, path: /n}, {name: undeclared, path: /u}]
  mem_limit: 1g
  shm_size: 64m
`);
    expect(stage.volumes).toEqual([
      { name: 'cache', kind: 'temp', medium: 'memory', sizeLimit: 64 * 1024 ** 2, hostPath: '' },
      { name: 'sock', kind: 'host', medium: '', sizeLimit: 0, hostPath: '/var/run/docker.sock' },
    ]);
    expect(step(stage, 'a').volumes).toEqual([{ name: 'cache', path: '/c' }]);
    expect(step(stage, 'a').resources).toEqual({
      memLimit: 1024 ** 3,
      memSwapLimit: 0,
      shmSize: 64 * 1024 ** 2,
    });
  });
});
