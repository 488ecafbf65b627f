/**
 * `node test/bench/pipeline.ts`: the pipeline engine against the YAML parser it is built on, measured in the same
 * run. Goals: parse + lint + plan of the whole corpus at most 1.5x parsing it with `yaml` alone; a generated
 * 1,000-step file planned in under 100 ms. Also shown: what the worst conditions a push can ask for cost before
 * the budget of matching steps stops them. Medians after warm-up; ratios are what to compare across machines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  createBuildContext,
  lintPipelineFile,
  parsePipelineFile,
  planPipelines,
} from '../../sidecar/pipeline/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const corpusDir = resolve(repoRoot, '../shared/examples/drone-yml');
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.yml'))
  .map((name) => ({ name, text: readFileSync(join(corpusDir, name), 'utf8') }));

const push = createBuildContext({ event: 'push', branch: 'master', trusted: true, now: 1_700_000_000 });

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function measure(run: () => void, { warmup = 10, iterations = 31 } = {}): number {
  for (let index = 0; index < warmup; index++) run();
  const samples: number[] = [];
  for (let index = 0; index < iterations; index++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** The baseline: what any implementation has to pay to read the files with the same parser. */
function yamlOnly(): void {
  for (const { text } of corpus) {
    for (const document of parseAllDocuments(text)) document.toJS();
  }
}

function engine(): void {
  for (const { name, text } of corpus) {
    const file = parsePipelineFile(text, { fileName: name });
    lintPipelineFile(file, { trusted: true });
    planPipelines(file, push);
  }
}

/** A plain 1,000-step pipeline: each step an image, a command and a dependency on the previous one. */
function generatedFile(steps: number): string {
  const lines = ['kind: pipeline', 'type: docker', 'name: generated', '', 'steps:'];
  for (let index = 0; index < steps; index++) {
    lines.push(
      `- name: step-${index}`,
      '  image: golang:1.22',
      '  commands:',
      `  - go test ./pkg/${index}/...`,
    );
    if (index > 0) lines.push(`  depends_on: [step-${index - 1}]`);
  }
  return `${lines.join('\n')}\n`;
}

const large = generatedFile(1000);
const largePlan = () => {
  const file = parsePipelineFile(large, { fileName: 'generated.yml' });
  const result = planPipelines(file, push);
  if (result.error !== null || result.plan.stages[0]?.steps.length !== 1001)
    throw new Error('unexpected plan');
};
const largeYaml = () => {
  for (const document of parseAllDocuments(large)) document.toJS();
};

/** Conditions that spend the whole budget of matching steps against a 4 KB branch: the worst a push can ask. */
const hostile = parsePipelineFile(
  `kind: pipeline\nname: hostile\ntrigger:\n  branch:\n${Array(8)
    .fill(`  - '${'*a'.repeat(127)}*b'`)
    .join('\n')}\nsteps:\n- {name: a, image: alpine}\n`,
  { fileName: 'hostile.yml' },
);
const hostileContext = createBuildContext({ event: 'push', branch: 'a'.repeat(4096), now: 1_700_000_000 });
const hostilePlan = () => {
  if (planPipelines(hostile, hostileContext).problems[0]?.rule !== 'planning-too-long')
    throw new Error('the hostile file did not run out of budget');
};

/**
 * The baseline and the engine in alternating rounds, so that both see the same machine (a loaded two-core box
 * swings single measurements by half): the medians of each and of the per-round ratios.
 */
function interleaved(rounds = 41, warmup = 10): { parseMs: number; engineMs: number; ratio: number } {
  const parses: number[] = [];
  const engines: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    let start = performance.now();
    yamlOnly();
    const parse = performance.now() - start;
    start = performance.now();
    engine();
    const planned = performance.now() - start;
    if (round < warmup) continue;
    parses.push(parse);
    engines.push(planned);
    ratios.push(planned / parse);
  }
  return { parseMs: median(parses), engineMs: median(engines), ratio: median(ratios) };
}

const bytes = corpus.reduce((sum, { text }) => sum + text.length, 0);
const { parseMs, engineMs, ratio } = interleaved();
const largeYamlMs = measure(largeYaml, { warmup: 5, iterations: 21 });
const largeMs = measure(largePlan, { warmup: 5, iterations: 21 });
const hostileMs = measure(hostilePlan, { warmup: 1, iterations: 5 });

console.log(`corpus: ${corpus.length} files, ${(bytes / 1024).toFixed(0)} KiB`);
console.log(`yaml parse only (parseAllDocuments + toJS): ${parseMs.toFixed(1)} ms`);
console.log(`parse + lint + plan (push to master):       ${engineMs.toFixed(1)} ms`);
console.log(
  `ratio (median of alternating rounds): ${ratio.toFixed(2)}x (goal <= 1.5x) ${ratio <= 1.5 ? 'ok' : 'OVER'}`,
);
console.log(
  `1,000-step file (${(large.length / 1024).toFixed(0)} KiB): yaml parse only ${largeYamlMs.toFixed(1)} ms`,
);
console.log(
  `1,000-step file, parse + plan: ${largeMs.toFixed(1)} ms (goal < 100 ms) ${largeMs < 100 ? 'ok' : 'OVER'}`,
);
console.log(
  `hostile conditions on a 4 KB branch, until the matching budget runs out: ${hostileMs.toFixed(0)} ms`,
);
