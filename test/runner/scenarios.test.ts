/**
 * Whole flows as files: each scenarios/*.yml is a `.drone.yml` whose header says what must happen —
 * `# expect stage: OUTCOME`, `# expect steps: name=status[:exit], ...` (every created step, in order),
 * `# expect log STEP: text` and `# expect no log STEP: text`. Compiled by the pipeline engine, run by the runner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/docker.ts';
import { dockerTestFile, stageFrom } from './stage-harness.ts';

const { docker, instance, harness } = dockerTestFile('scenarios');
const directory = join(import.meta.dirname, 'scenarios');

interface Expectations {
  stage: string;
  steps: string[];
  logs: { step: string; text: string; present: boolean }[];
}

function expectations(text: string): Expectations {
  const found: Expectations = { stage: '', steps: [], logs: [] };
  for (const line of text.split('\n')) {
    const match = /^# expect (no log|log|stage|steps)( [^:]+)?: (.*)$/.exec(line);
    if (match === null) continue;
    const [, kind, step = '', value = ''] = match;
    if (kind === 'stage') found.stage = value;
    else if (kind === 'steps') found.steps = value.split(',').map((entry) => entry.trim());
    else found.logs.push({ step: step.trim(), text: value, present: kind === 'log' });
  }
  if (found.stage === '' || found.steps.length === 0)
    throw new Error('a scenario needs expect stage and expect steps');
  return found;
}

describe('runner scenarios', () => {
  const files = readdirSync(directory).filter((name) => name.endsWith('.yml'));

  it('has scenarios to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s', async (name) => {
    const text = readFileSync(join(directory, name), 'utf8');
    const expected = expectations(text);
    const { result, logs } = await harness.run(stageFrom(text));
    expect(result.outcome).toBe(expected.stage);
    expect(
      result.steps.map((step) => {
        const exit = expected.steps.find((entry) => entry.startsWith(`${step.name}=`))?.includes(':');
        return exit ? `${step.name}=${step.status}:${step.exitCode}` : `${step.name}=${step.status}`;
      }),
    ).toEqual(expected.steps);
    for (const { step, text: wanted, present } of expected.logs) {
      if (present) expect(logs.text(step)).toContain(wanted);
      else expect(logs.text(step)).not.toContain(wanted);
    }
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
