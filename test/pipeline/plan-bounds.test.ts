// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/**
 * Planning is bounded whatever the file and the names: pusher-supplied strings have caps, and every match spends
 * from one budget of steps, past which the plan is one problem instead of a result. The inputs below genuinely
 * exceed the default budget; they took minutes or more before the matchers were made linear.
 */
import { describe, expect, it } from 'vitest';
import type { BuildContext } from '../../sidecar/core/index.ts';
import {
  MAX_CHANGED_PATHS,
  MAX_NAME_CHARS,
  MAX_REF_CHARS,
  MAX_TEXT_CHARS,
  type PipelinePlan,
  PLANNING_TOO_LONG,
  planPipelines,
} from '../../sidecar/pipeline/index.ts';
import { context, parse } from './support.ts';

const TOO_LONG = [
  { severity: 'error', rule: 'planning-too-long', message: PLANNING_TOO_LONG, line: 1, col: 1 },
];

function expectOneProblem(result: PipelinePlan, rule: string, message: string): void {
  expect(result.problems).toEqual([{ severity: 'error', rule, message, line: 1, col: 1 }]);
  expect(result.error).toBe(message);
  expect(result.plan.stages).toEqual([]);
  expect(result.pipelines).toEqual([]);
}

const STARS = `${'*a'.repeat(127)}*b`;

function triggerFile(patterns: string[]): string {
  return `kind: pipeline
name: default
trigger:
  branch:
${patterns.map((pattern) => `  - '${pattern}'`).join('\n')}
steps:
- {name: test, image: golang, commands: [go test]}
`;
}

function withMessage(message: string): BuildContext {
  const base = context();
  return { ...base, commit: { ...base.commit, message } };
}

describe('the budget of matching steps', () => {
  it('turns conditions that would take too long on a long branch into one problem', () => {
    const result = planPipelines(
      parse(triggerFile(Array(8).fill(STARS))),
      context({ branch: 'a'.repeat(4096) }),
    );
    expectOneProblem(result, 'planning-too-long', PLANNING_TOO_LONG);
    expect(result.problems).toEqual(TOO_LONG);
  });

  it('leaves the same conditions alone on a branch they decide quickly', () => {
    const result = planPipelines(parse(triggerFile(Array(8).fill(STARS))), context({ branch: 'master' }));
    expect(result.error).toBeNull();
    expect(result.pipelines.map((outcome) => outcome.skipReason)).toEqual([
      expect.stringMatching(/^branch: does not match/),
    ]);
  });

  it('counts every match of a plan: an ordinary file fails a budget of ten steps and passes the default', () => {
    const file = parse(triggerFile(['master', 'release/*']));
    expectOneProblem(
      planPipelines(file, context(), { matchStepLimit: 10 }),
      'planning-too-long',
      PLANNING_TOO_LONG,
    );
    expect(planPipelines(file, context()).plan.stages).toHaveLength(1);
  });

  it('bounds ${VAR##pattern} on a long commit message, which tries the pattern on every prefix', () => {
    const file = parse(`kind: pipeline
name: default
steps:
- name: test
  image: golang
  commands: ['echo \${DRONE_COMMIT_MESSAGE##*x}']
`);
    const result = planPipelines(file, withMessage('a'.repeat(60_000)));
    expectOneProblem(result, 'planning-too-long', PLANNING_TOO_LONG);
    const quick = planPipelines(file, withMessage('subject x body'));
    expect(quick.error).toBeNull();
    expect(quick.pipelines[0]?.pipeline.steps[0]?.commands).toEqual(['echo  body']);
  });
});

describe('caps on what the pusher chose', () => {
  const file = parse(triggerFile(['**']));

  it('refuses a branch, a ref or a changed path over the name cap, and plans one at the cap', () => {
    const long = 'b'.repeat(MAX_NAME_CHARS + 1);
    expectOneProblem(
      planPipelines(file, context({ branch: long })),
      'context-too-long',
      `the branch is ${(MAX_NAME_CHARS + 1).toLocaleString('en')} characters long; the limit is 4,096`,
    );
    expectOneProblem(
      planPipelines(file, context({ branch: 'master', ref: `refs/heads/${'r'.repeat(MAX_REF_CHARS)}` })),
      'context-too-long',
      'the ref is 4,139 characters long; the limit is 4,128',
    );
    expectOneProblem(
      planPipelines(file, context({ changedPaths: ['ok', long] })),
      'context-too-long',
      'the changed path is 4,097 characters long; the limit is 4,096',
    );
    expect(planPipelines(file, context({ branch: 'b'.repeat(MAX_NAME_CHARS) })).plan.stages).toHaveLength(1);
  });

  it('refuses a commit message over the text cap', () => {
    expectOneProblem(
      planPipelines(file, withMessage('m'.repeat(MAX_TEXT_CHARS + 1))),
      'context-too-long',
      'the commit message is 65,537 characters long; the limit is 65,536',
    );
  });

  it('treats more changed files than the cap as unknown, so paths: conditions match', () => {
    const docsOnly = parse(`kind: pipeline
name: docs
trigger:
  paths: [docs/**]
steps:
- {name: build, image: alpine, commands: [make docs]}
`);
    const paths = (count: number) => Array.from({ length: count }, (_, index) => `src/file-${index}.ts`);
    expect(planPipelines(docsOnly, context({ changedPaths: paths(MAX_CHANGED_PATHS) })).plan.stages).toEqual(
      [],
    );
    expect(
      planPipelines(docsOnly, context({ changedPaths: paths(MAX_CHANGED_PATHS + 1) })).plan.stages,
    ).toHaveLength(1);
    // Unknown before measured: one path over its cap in a list over the count does not refuse the build.
    const withLongPath = [...paths(MAX_CHANGED_PATHS), `src/${'x'.repeat(5000)}`];
    const plan = planPipelines(docsOnly, context({ changedPaths: withLongPath }));
    expect(plan.error).toBeNull();
    expect(plan.plan.stages).toHaveLength(1);
  });
});
