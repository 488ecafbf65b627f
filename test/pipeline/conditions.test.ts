/** trigger/when semantics (spec §4): include/exclude, the check tables, status as a run policy, paths. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstMismatch, TRIGGER_CHECKS, WHEN_CHECKS } from '../../sidecar/pipeline/conditions.ts';
import {
  type Condition,
  conditionMatches,
  pipelineStatusFlags,
  statusRunPolicy,
  stepRunPolicy,
} from '../../sidecar/pipeline/index.ts';
import { context, onlyPipeline } from './support.ts';

const literal = fc.constantFrom('master', 'main', 'dev', 'release', '');

describe('conditionMatches against a set-based reference (literal patterns)', () => {
  it('excluded values never match; otherwise included values match, or anything when include is empty', () => {
    fc.assert(
      fc.property(
        fc.array(literal, { maxLength: 3 }),
        fc.array(literal, { maxLength: 3 }),
        literal,
        (include, exclude, value) => {
          const expected =
            !new Set(exclude).has(value) && (include.length === 0 || new Set(include).has(value));
          expect(conditionMatches({ include, exclude }, value)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('exclude wins over include for the same value', () => {
    expect(conditionMatches({ include: ['master'], exclude: ['master'] }, 'master')).toBe(false);
  });

  it('an exclude-only condition matches everything else, including the empty branch of a tag build', () => {
    const condition: Condition = { include: [], exclude: ['dev/**'] };
    expect(conditionMatches(condition, 'master')).toBe(true);
    expect(conditionMatches(condition, '')).toBe(true);
    expect(conditionMatches(condition, 'dev/x')).toBe(false);
  });

  it('"*" matches an empty value, so branch: ["*"] lets builds without a branch through', () => {
    expect(conditionMatches({ include: ['*'], exclude: [] }, '')).toBe(true);
  });
});

describe('the three written forms of a condition', () => {
  it('scalar, list and include/exclude map read the same way', () => {
    const scalar = onlyPipeline('kind: pipeline\ntrigger:\n  branch: master\n');
    const list = onlyPipeline('kind: pipeline\ntrigger:\n  branch: [master, dev]\n');
    const map = onlyPipeline(
      'kind: pipeline\ntrigger:\n  branch:\n    include: [master]\n    exclude: [dev]\n',
    );
    expect(scalar.trigger.branch).toEqual({ include: ['master'], exclude: [] });
    expect(list.trigger.branch).toEqual({ include: ['master', 'dev'], exclude: [] });
    expect(map.trigger.branch).toEqual({ include: ['master'], exclude: ['dev'] });
  });
});

describe('trigger checks (server side)', () => {
  const pipeline = onlyPipeline(`kind: pipeline
trigger:
  branch: [master]
  event: [push, tag]
  ref: [refs/heads/**, refs/tags/**]
  repo: [octo/*]
  instance: [ci.example.com]
`);

  it('pass for a matching push, whatever the instance (the server never evaluates instance)', () => {
    expect(
      firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ repo: 'octo/app', instance: 'elsewhere' })),
    ).toBeUndefined();
  });

  it('report the first failing key in Drone order: branch before event', () => {
    expect(
      firstMismatch(
        TRIGGER_CHECKS,
        pipeline.trigger,
        context({ event: 'pull_request', branch: 'dev', repo: 'octo/app' }),
      ),
    ).toBe('branch: does not match branch "dev"');
    expect(
      firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ event: 'pull_request', repo: 'octo/app' })),
    ).toBe('event: does not match event "pull_request"');
  });

  it('compare repo with owner/name', () => {
    expect(firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ repo: 'other/app' }))).toBe(
      'repo: does not match repository "other/app"',
    );
  });

  it('compare target with the deploy target and cron with the job name', () => {
    const promote = onlyPipeline(
      'kind: pipeline\ntrigger:\n  target: [production]\n  cron: {exclude: [nightly]}\n',
    );
    expect(
      firstMismatch(
        TRIGGER_CHECKS,
        promote.trigger,
        context({ event: 'promote', deployTarget: 'production' }),
      ),
    ).toBeUndefined();
    expect(
      firstMismatch(TRIGGER_CHECKS, promote.trigger, context({ event: 'promote', deployTarget: 'staging' })),
    ).toMatch(/^target/);
    expect(
      firstMismatch(
        TRIGGER_CHECKS,
        promote.trigger,
        context({ event: 'cron', cron: 'nightly', deployTarget: 'production' }),
      ),
    ).toMatch(/^cron/);
  });

  it('compare action with the hook action', () => {
    const opened = onlyPipeline('kind: pipeline\ntrigger:\n  action: [opened]\n');
    expect(
      firstMismatch(TRIGGER_CHECKS, opened.trigger, context({ event: 'pull_request', action: 'opened' })),
    ).toBeUndefined();
    expect(
      firstMismatch(
        TRIGGER_CHECKS,
        opened.trigger,
        context({ event: 'pull_request', action: 'synchronized' }),
      ),
    ).toMatch(/^action/);
  });
});

describe('when checks (runner side)', () => {
  it('evaluate instance against the system host', () => {
    const step = onlyPipeline(
      'kind: pipeline\nsteps:\n- name: a\n  image: x\n  when:\n    instance: [ci.example.com]\n',
    ).steps[0];
    expect(
      step && firstMismatch(WHEN_CHECKS, step.when, context({ instance: 'ci.example.com' })),
    ).toBeUndefined();
    expect(step && firstMismatch(WHEN_CHECKS, step.when, context({ instance: 'other' }))).toMatch(
      /^instance/,
    );
  });

  it('make a non-matching step never run, whatever its status', () => {
    const step = onlyPipeline(
      'kind: pipeline\nsteps:\n- name: a\n  image: x\n  when:\n    event: tag\n    status: [failure]\n',
    ).steps[0];
    expect(step && stepRunPolicy(step.when, context()).policy).toBe('never');
    expect(step && stepRunPolicy(step.when, context({ event: 'tag', branch: 'v1' })).policy).toBe(
      'on-failure',
    );
  });
});

describe('status', () => {
  const condition = (include: string[], exclude: string[] = []): Condition => ({ include, exclude });

  it('sets the step run policy as drone-runner-docker does', () => {
    expect(statusRunPolicy(condition([]))).toBe('on-success');
    expect(statusRunPolicy(condition(['failure']))).toBe('on-failure');
    expect(statusRunPolicy(condition(['success', 'failure']))).toBe('always');
    expect(statusRunPolicy(condition([], ['success']))).toBe('on-failure');
    expect(statusRunPolicy(condition(['killed']))).toBe('on-success');
    expect(statusRunPolicy(condition(['changed']))).toBe('on-success');
    expect(statusRunPolicy(condition(['*']))).toBe('always');
  });

  it('sets a pipeline on_success/on_failure, with on_failure false when status is absent', () => {
    expect(pipelineStatusFlags(condition([]))).toEqual({ onSuccess: true, onFailure: false });
    expect(pipelineStatusFlags(condition(['failure']))).toEqual({ onSuccess: false, onFailure: true });
    expect(pipelineStatusFlags(condition(['success', 'failure']))).toEqual({
      onSuccess: true,
      onFailure: true,
    });
    expect(pipelineStatusFlags(condition([], ['success']))).toEqual({ onSuccess: false, onFailure: true });
  });
});

describe('paths', () => {
  const pipeline = onlyPipeline(
    'kind: pipeline\ntrigger:\n  paths:\n    include: [docs/**]\n    exclude: [docs/drafts/**]\n',
  );

  it('match when the changed files are unknown, as Drone ignores paths', () => {
    expect(firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ changedPaths: null }))).toBeUndefined();
  });

  it('need one changed file that passes include and exclude', () => {
    expect(
      firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ changedPaths: ['src/a.ts', 'docs/x.md'] })),
    ).toBeUndefined();
    expect(
      firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ changedPaths: ['docs/drafts/y.md'] })),
    ).toBe('paths: no changed file matches paths');
    expect(firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context({ changedPaths: [] }))).toMatch(/^paths/);
  });
});
