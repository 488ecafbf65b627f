/** Shared helpers for the pipeline tests: the shared example data read in place, and small builders. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BuildContext } from '../../sidecar/core/plan.ts';
import {
  type BuildContextInput,
  createBuildContext,
  type ParsedFile,
  type Pipeline,
  parsePipelineFile,
} from '../../sidecar/pipeline/index.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const corpusDir = resolve(repoRoot, '../shared/examples/drone-yml');
export const goldenDir = resolve(repoRoot, '../shared/examples/drone-yaml-golden');

/** The two Drone 0.8 files of the corpus, which are rejected with a clear message. */
export const LEGACY_FILES = new Set(['woodpecker-ci__woodpecker.yml', '104corp__sledium.yml']);

export function corpusFiles(): { name: string; bytes: Buffer }[] {
  return readdirSync(corpusDir)
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(corpusDir, name)) }));
}

export function readCorpusFile(name: string): ParsedFile {
  return parsePipelineFile(readFileSync(join(corpusDir, name)), { fileName: name });
}

export function parse(text: string): ParsedFile {
  return parsePipelineFile(text, { fileName: '.drone.yml' });
}

/** The pipelines of a file, in order. */
export function pipelinesOf(file: ParsedFile): Pipeline[] {
  return file.documents.flatMap(({ resource }) => (resource.kind === 'pipeline' ? [resource] : []));
}

export function onlyPipeline(text: string): Pipeline {
  const [pipeline] = pipelinesOf(parse(text));
  if (pipeline === undefined) throw new Error('no pipeline in the text');
  return pipeline;
}

export function context(input: Partial<BuildContextInput> = {}): BuildContext {
  return createBuildContext({ event: 'push', branch: 'master', now: 1_700_000_000, ...input });
}

/** Problems as `line:col rule` strings, the shortest readable form for assertions. */
export function ruleAt(file: { problems: { line: number; col: number; rule: string }[] }): string[] {
  return file.problems.map((problem) => `${problem.line}:${problem.col} ${problem.rule}`);
}
