// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/**
 * The 39 real .drone.yml files (../shared/examples/drone-yml, read in place): all lint clean for the trusted
 * repositories they come from, all plan for a push, a pull request and a tag, and a handful are checked step by
 * step against the spec.
 */
import { describe, expect, it } from 'vitest';
import type { PlanStage } from '../../sidecar/core/plan.ts';
import { lintPipelineFile, type PipelinePlan, planPipelines } from '../../sidecar/pipeline/index.ts';
import { context, corpusFiles, LEGACY_FILES, readCorpusFile } from './support.ts';

const EVENTS = {
  push: context({ event: 'push', branch: 'master', trusted: true, sha: 'f00dfeed1234567' }),
  pull_request: context({ event: 'pull_request', branch: 'master', sourceBranch: 'feature', trusted: true }),
  tag: context({ event: 'tag', branch: 'v1.0.0', trusted: true, sha: 'f00dfeed1234567' }),
};

function plan(
  name: string,
  event: keyof typeof EVENTS,
  extra: Partial<typeof EVENTS.push> = {},
): PipelinePlan {
  return planPipelines(readCorpusFile(name), { ...EVENTS[event], ...extra });
}

function stage(result: PipelinePlan, name: string): PlanStage {
  const found = result.pipelines.find((pipeline) => pipeline.name === name)?.stage;
  if (found === undefined) throw new Error(`no pipeline ${name}`);
  return found;
}

function steps(stageValue: PlanStage): [string, string, string[]][] {
  return stageValue.steps.map((step) => [step.name, step.runPolicy, step.dependsOn]);
}

describe('every corpus file', () => {
  const files = corpusFiles();

  it('is all there', () => {
    expect(files).toHaveLength(39);
  });

  for (const { name, bytes } of files) {
    it(`${name} lints without errors (trusted)`, () => {
      const problems = lintPipelineFile(readCorpusFile(name), { trusted: true });
      const errors = problems.filter((problem) => problem.severity === 'error');
      if (LEGACY_FILES.has(name)) {
        expect(errors.map((problem) => problem.rule)).toEqual(['legacy-format']);
      } else {
        expect(errors).toEqual([]);
      }
      expect(bytes.length).toBeGreaterThan(0);
    });

    if (LEGACY_FILES.has(name)) continue;
    it(`${name} plans for a push, a pull request and a tag`, () => {
      for (const event of Object.keys(EVENTS) as (keyof typeof EVENTS)[]) {
        const result = plan(name, event);
        expect(result.error, `${event}`).toBeNull();
        for (const outcome of result.pipelines) {
          expect(outcome.stage.error, `${event} ${outcome.name}`).toBeNull();
          const names = new Set(outcome.stage.steps.map((step) => step.name));
          for (const step of outcome.stage.steps) {
            expect(step.image, `${outcome.name}/${step.name}`).toMatch(/^[a-z0-9.:-]+\/.+[:@]/);
            for (const dependency of step.dependsOn)
              expect(names.has(dependency), `${step.name} -> ${dependency}`).toBe(true);
            if (step.runPolicy === 'never') expect(step.number).toBeNull();
          }
        }
        expect(result.plan.stages.every((stageValue) => stageValue.number > 0)).toBe(true);
      }
    });
  }
});

describe('drone/drone: four pipelines, a fan-in manifest', () => {
  it('push to master: all four run, arm builds wait for amd64, manifest for both arm builds', () => {
    const result = plan('drone__drone.yml', 'push');
    expect(result.plan.stages.map((s) => [s.number, s.name, s.dependsOn, s.platform.arch])).toEqual([
      [1, 'linux-amd64', [], 'amd64'],
      [2, 'linux-arm64', ['linux-amd64'], 'arm64'],
      [3, 'linux-arm', ['linux-amd64'], 'arm'],
      [4, 'manifest', ['linux-arm64', 'linux-arm'], 'amd64'],
    ]);
    const amd64 = stage(result, 'linux-amd64');
    expect(steps(amd64)).toEqual([
      ['clone', 'always', []],
      ['test', 'on-success', ['clone']],
      ['build', 'on-success', ['test']],
      ['publish', 'on-success', ['build']],
    ]);
    const publish = amd64.steps[3];
    expect(publish).toMatchObject({
      image: 'docker.io/plugins/docker:18',
      privileged: true,
      secrets: [
        { env: 'PLUGIN_USERNAME', secret: 'docker_username' },
        { env: 'PLUGIN_PASSWORD', secret: 'docker_password' },
      ],
    });
    expect(publish?.environment).toMatchObject({
      PLUGIN_AUTO_TAG: 'true',
      PLUGIN_AUTO_TAG_SUFFIX: 'linux-amd64',
      PLUGIN_REPO: 'drone/drone',
    });
    expect(amd64.steps[2]?.environment).toMatchObject({ GOARCH: 'amd64', GOOS: 'linux' });
  });

  it('pull request: only linux-amd64 runs, and its publish step never does', () => {
    const result = plan('drone__drone.yml', 'pull_request');
    expect(result.plan.stages.map((s) => s.name)).toEqual(['linux-amd64']);
    expect(steps(stage(result, 'linux-amd64')).map(([name, policy]) => [name, policy])).toEqual([
      ['clone', 'always'],
      ['test', 'on-success'],
      ['build', 'on-success'],
      ['publish', 'never'],
    ]);
    expect(result.pipelines.find((p) => p.name === 'manifest')?.skipReason).toBe(
      'event: does not match event "pull_request"',
    );
  });
});

describe('thegeeklab/hugo-geekdoc: ref triggers, status triggers, notifications', () => {
  it('push to main: the notification pipeline waits for the others and runs on failure too', () => {
    const result = plan('thegeeklab__hugo-geekdoc.yml', 'push', { branch: 'main', ref: 'refs/heads/main' });
    expect(
      result.plan.stages.map((s) => [s.name, s.dependsOn, s.onSuccess, s.onFailure, s.initialStatus]),
    ).toEqual([
      ['test', [], true, false, 'pending'],
      ['build', ['test'], true, false, 'waiting_on_dependencies'],
      ['docs', ['build'], true, false, 'waiting_on_dependencies'],
      ['notifications', ['test', 'build', 'docs'], true, true, 'waiting_on_dependencies'],
    ]);
    expect(steps(stage(result, 'notifications'))[1]).toEqual(['matrix', 'always', ['clone']]);
    expect(stage(result, 'docs').concurrencyLimit).toBe(1);
    const docs = Object.fromEntries(steps(stage(result, 'docs')).map(([name, policy]) => [name, policy]));
    expect(docs).toMatchObject({ assets: 'on-success', 'assets-main': 'never', publish: 'on-success' });
  });

  it('pull request: notifications is filtered out by ref; docs swaps its assets step', () => {
    const result = plan('thegeeklab__hugo-geekdoc.yml', 'pull_request', {
      ref: 'refs/pull/3/head',
      branch: 'main',
    });
    expect(result.plan.stages.map((s) => s.name)).toEqual(['test', 'build', 'docs']);
    const docs = Object.fromEntries(steps(stage(result, 'docs')).map(([name, policy]) => [name, policy]));
    expect(docs).toMatchObject({ assets: 'never', 'assets-main': 'on-success', publish: 'never' });
  });

  it('substitutes ${DRONE_TAG:---next-tag unreleased unreleased} into the changelog command', () => {
    const onPush = plan('thegeeklab__hugo-geekdoc.yml', 'push', { branch: 'main', ref: 'refs/heads/main' });
    const onTag = plan('thegeeklab__hugo-geekdoc.yml', 'tag', { ref: 'refs/tags/v1.0.0' });
    const script = (result: PipelinePlan) =>
      stage(result, 'build').steps.find((step) => step.name === 'changelog')?.environment.DRONE_SCRIPT ?? '';
    expect(script(onPush)).toContain('\ngit-chglog --no-color --no-emoji --next-tag unreleased unreleased\n');
    expect(script(onTag)).toContain('\ngit-chglog --no-color --no-emoji v1.0.0\n');
  });
});

describe('go-vikunja/vikunja: step graphs, duplicate trigger keys, bypassed dependencies', () => {
  it('the second trigger wins, as in Drone: build-and-test runs on main only', () => {
    expect(
      plan('go-vikunja__vikunja.yml', 'push', { branch: 'main' }).plan.stages.map((s) => s.name),
    ).toContain('build-and-test');
    expect(plan('go-vikunja__vikunja.yml', 'tag').pipelines[0]?.skipReason).toBe(
      'branch: does not match branch "v1.0.0"',
    );
  });

  it('tag: release runs without waiting for the filtered-out build-and-test', () => {
    const result = plan('go-vikunja__vikunja.yml', 'tag');
    const release = stage(result, 'release');
    expect([release.dependsOn, release.initialStatus]).toEqual([[], 'pending']);
    expect(release.workspace).toEqual({ base: '/source', path: '/', full: '/source' });
    const byName = new Map(release.steps.map((step) => [step.name, step]));
    expect(byName.get('fetch-tags')?.dependsOn).toEqual(['clone']);
    expect(byName.get('static-build-linux')?.dependsOn).toEqual(['before-static-build', 'frontend-build']);
    expect(byName.get('release-version')?.runPolicy).toBe('on-success');
    expect(byName.get('release-unstable')?.runPolicy).toBe('never');
  });
});

describe('cs3org/wopiserver: substitution inside plugin settings', () => {
  it('push to master: ${DRONE_COMMIT:0:7} and the empty semver reach PLUGIN_BUILD_ARGS', () => {
    const publish = stage(plan('cs3org__wopiserver.yml', 'push'), 'release-latest').steps[1];
    expect(publish?.environment.PLUGIN_BUILD_ARGS).toBe('VERSION=-gf00dfee');
    expect(publish?.environment.PLUGIN_CUSTOM_DNS).toBe('128.142.17.5,128.142.16.5');
    expect(publish?.pull).toBe('always');
  });

  it('tag: the two tag pipelines run with the tag in their settings', () => {
    const result = plan('cs3org__wopiserver.yml', 'tag');
    expect(result.plan.stages.map((s) => s.name)).toEqual(['release', 'release-xrootd']);
    expect(stage(result, 'release-xrootd').steps[1]?.environment.PLUGIN_TAGS).toBe('v1.0.0-xrootd');
  });
});

describe('go-xorm/xorm: no clone, custom workspace, services, tabs in the file', () => {
  it('serial order over services then steps, starting without clone', () => {
    const result = plan('go-xorm__xorm.yml', 'push');
    const matrix = stage(result, 'matrix-1');
    expect(matrix.clone.disabled).toBe(true);
    expect(matrix.workspace).toEqual({
      base: '/go',
      path: 'src/github.com/go-xorm/xorm',
      full: '/go/src/github.com/go-xorm/xorm',
    });
    expect(matrix.steps[0]?.name).not.toBe('clone');
    expect(matrix.steps[0]?.dependsOn).toEqual([]);
    const services = matrix.steps.filter((step) => step.role === 'service');
    expect(services.length).toBeGreaterThan(0);
    expect(matrix.steps.find((step) => step.role === 'step')?.dependsOn).toEqual([services.at(-1)?.name]);
    expect(matrix.steps.find((step) => step.name === 'git')?.environment).toMatchObject({
      PLUGIN_DEPTH: '50',
      PLUGIN_TAGS: 'true',
    });
  });
});

describe('grafana/grafana-image-renderer: pull request pipeline with services and a graph', () => {
  it('compiles node labels, pull secrets, clone retries and the step graph', () => {
    const result = plan('grafana__grafana-image-renderer.yml', 'pull_request');
    const pr = stage(result, 'test-pr');
    expect(result.plan.stages.map((s) => s.name)).toEqual(['test-pr']);
    expect(pr.node).toEqual({ type: 'no-parallel' });
    expect(pr.imagePullSecrets).toEqual(['gcr', 'gar']);
    expect(pr.steps[0]?.environment.PLUGIN_RETRIES).toBe('3');
    const byName = new Map(pr.steps.map((step) => [step.name, step]));
    expect(byName.get('grafana')).toMatchObject({
      role: 'service',
      detach: true,
      dependsOn: ['clone'],
      workingDir: '',
    });
    expect(byName.get('yarn-test')?.dependsOn).toEqual(['wait-for-grafana', 'yarn-build']);
    expect(byName.get('security-scan')?.errorPolicy).toBe('ignore');
    expect(byName.get('security-scan')?.secrets).toEqual([
      { env: 'SRCCLR_API_TOKEN', secret: 'srcclr_api_token' },
    ]);
    expect(result.plan.fileSecrets).toHaveLength(10);
  });
});

describe('pipelines of other types', () => {
  it('photoprism (exec only) plans nothing and lists what it ignores', () => {
    const result = plan('photoprism__photoprism.yml', 'push', { branch: 'develop' });
    expect(result.pipelines).toEqual([]);
    expect(result.ignored.map((pipeline) => pipeline.type)).toEqual(['exec', 'exec', 'exec']);
  });

  it('drone-plugins/drone-docker: ssh pipelines are ignored and bypassed by their dependants', () => {
    const result = plan('drone-plugins__drone-docker.yml', 'push');
    expect(result.ignored).toHaveLength(8);
    expect(result.ignored.every((pipeline) => pipeline.type === 'ssh')).toBe(true);
    for (const stageValue of result.plan.stages) {
      for (const dependency of stageValue.dependsOn) {
        expect(result.ignored.some((pipeline) => pipeline.name === dependency)).toBe(false);
      }
    }
  });
});
