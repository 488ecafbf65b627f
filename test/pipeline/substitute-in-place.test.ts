// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are .drone.yml text, where ${...} is Drone's substitution syntax.
/**
 * Substitution in the parsed tree against what the runner does (substitute the text, split it, parse each
 * document again): wherever the in-place path answers, its document must equal the re-parsed one. Checked on
 * the corpus, on Drone's golden files and on generated files, each with values a pusher could choose.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ParsedDocument } from '../../sidecar/pipeline/document.ts';
import { type ParsedFile, type Problem, parsePipelineFile } from '../../sidecar/pipeline/index.ts';
import { parseSourceDocument } from '../../sidecar/pipeline/parse.ts';
import { splitDocuments } from '../../sidecar/pipeline/source-text.ts';
import { applyEdits, parseTemplate } from '../../sidecar/pipeline/substitute.ts';
import { editsByDocument, substituteInPlace } from '../../sidecar/pipeline/substitute-in-place.ts';
import { corpusFiles, goldenDir, LEGACY_FILES } from './support.ts';

/** A small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Pieces of values that mean something to YAML or to the document split. */
const HOSTILE_PIECES = [
  'a',
  'v1.2.3',
  ' ',
  ': ',
  ':',
  ' #',
  '#',
  '-',
  '- ',
  '?',
  "'",
  "''",
  '"',
  '\\',
  '\\n',
  ',',
  '[',
  ']',
  '{',
  '}',
  '\t',
  '&x',
  '*x',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '---',
  '...',
  '\x85',
  '\u2028',
  '😀',
  '$',
  '${',
  'true',
  'null',
  '~',
  '0x1F',
  '\n',
  'line one\nline two',
  '\r',
  '\x1b',
  'k'.repeat(1100),
];

function hostileValue(next: () => number): string {
  const count = Math.floor(next() * 4);
  let value = '';
  for (let index = 0; index < count; index++)
    value += HOSTILE_PIECES[Math.floor(next() * HOSTILE_PIECES.length)];
  return value;
}

function comparable(problems: Problem[]): unknown[] {
  // Columns may differ: in place they point into the file as written, re-parsed into the substituted text.
  return problems.map(({ col: _col, ...rest }) => rest);
}

interface Comparison {
  inPlace: number;
  reparsed: number;
}

/** Substitutes `values` into `file` both ways and expects the same documents wherever the in-place path answers. */
function compareBothWays(file: ParsedFile, values: (variable: string) => string, into: Comparison): void {
  const parsed = parseTemplate(file.text);
  if (!parsed.ok) return;
  const variables: Record<string, string> = {};
  for (const variable of parsed.template.variables) variables[variable] = values(variable);
  const result = parsed.template.edits(variables);
  if (!result.ok) return;
  const substituted = splitDocuments(applyEdits(file.text, result.edits)).documents;
  const byDocument = editsByDocument(file, result.edits);
  if (byDocument === null) {
    into.reparsed++;
    return;
  }
  expect(substituted.length, file.fileName).toBe(file.documents.length);
  file.documents.forEach((original: ParsedDocument, index) => {
    const edits = byDocument[index] ?? [];
    const source = substituted[index];
    if (source === undefined) throw new Error('documents differ in number');
    expect(applyEdits(original.data, edits), `${file.fileName} document ${index}`).toBe(source.data);
    if (edits.length === 0) return;
    const inPlace = substituteInPlace(original, edits, source);
    if (inPlace === null) {
      into.reparsed++;
      return;
    }
    into.inPlace++;
    const reparsed = parseSourceDocument(source, index);
    const where = `${file.fileName} document ${index} with ${JSON.stringify(variables)}`;
    expect(inPlace.document.resource, where).toEqual(reparsed.document.resource);
    expect(comparable(inPlace.problems), where).toEqual(comparable(reparsed.problems));
    expect(inPlace.document.data).toBe(source.data);
  });
}

const BUILD_VALUES: Record<string, string> = {
  DRONE_BRANCH: 'master',
  DRONE_COMMIT: '0123456789abcdef0123456789abcdef01234567',
  DRONE_COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  DRONE_TAG: '',
  DRONE_BUILD_NUMBER: '42',
};

describe('substitution in the parsed tree', () => {
  it('gives the re-parsed documents on the corpus, for an ordinary push and for hostile values', () => {
    const counts: Comparison = { inPlace: 0, reparsed: 0 };
    for (const { name, bytes } of corpusFiles()) {
      const file = parsePipelineFile(bytes, { fileName: name });
      compareBothWays(file, (variable) => BUILD_VALUES[variable] ?? '', counts);
      const next = random(name.length * 7919);
      for (let round = 0; round < 10; round++) compareBothWays(file, () => hostileValue(next), counts);
    }
    expect(counts.inPlace).toBeGreaterThan(400);
    expect(counts.reparsed).toBeGreaterThan(100);
  });

  it('takes the parsed tree for every corpus document an ordinary push changes', () => {
    const counts: Comparison = { inPlace: 0, reparsed: 0 };
    for (const { name, bytes } of corpusFiles().filter(({ name }) => !LEGACY_FILES.has(name)))
      compareBothWays(
        parsePipelineFile(bytes, { fileName: name }),
        (variable) => BUILD_VALUES[variable] ?? '',
        counts,
      );
    expect(counts).toEqual({ inPlace: expect.any(Number), reparsed: 0 });
    expect(counts.inPlace).toBeGreaterThan(50);
  });

  it("gives the re-parsed documents on Drone's golden files with `${...}` written into every scalar", () => {
    const counts: Comparison = { inPlace: 0, reparsed: 0 };
    for (const name of readdirSync(goldenDir).filter((each) => each.endsWith('.yml'))) {
      const text = readFileSync(join(goldenDir, name), 'utf8');
      // Put an expression at the start, middle or end of every value that follows `key: `.
      const next = random(name.length);
      const templated = text.replace(/(:\s+)([^\s#][^\n#]*)$/gm, (_all, key: string, value: string) => {
        const at = Math.floor(next() * (value.length + 1));
        return `${key}${value.slice(0, at)}\${V${at % 3}}${value.slice(at)}`;
      });
      const file = parsePipelineFile(templated, { fileName: name });
      for (let round = 0; round < 40; round++) compareBothWays(file, () => hostileValue(next), counts);
    }
    expect(counts.inPlace).toBeGreaterThan(100);
    expect(counts.reparsed).toBeGreaterThan(100);
  });

  it('gives the re-parsed documents on generated files that put expressions everywhere YAML allows', () => {
    const places = [
      'image: ${A}',
      'image: alpine:${A}',
      'image: "alpine:${A}"',
      "image: 'alpine:${A}'",
      'image: "a\\t${A}\\u263A"',
      "image: 'it''s ${A}'",
      'commands: [${A}, "b${B}", c]',
      'commands: [ "${A}" ]',
      'environment: {X: ${A}, Y: "${B}"}',
      'commands:\n  - echo ${A}\n    and ${B} more\n\n    last ${A}',
      'commands:\n  - |\n    echo ${A}\n  - >-\n    folded ${B}',
      'commands:\n  - echo ${A} # says ${B}\n  # ${A}: not yaml',
      'commands:\n  - ${A}\n  - ${B}x',
      'environment:\n  ${A}: value',
      'settings:\n  tags: &tags ${A}\n  more: *tags',
      'settings:\n  path: \\\\${A}\\/x$${B}',
      'settings:\n  quoted: "\\\\${A}\\/"',
      'commands:\n- x\n${A}---\n---${B}\n- y',
      'when:\n  branch: ${A:-main}\n  event: ${B/a/:}',
      'commands:\n  - ${A:0:3}${B##*-}',
      'commands: [a$$b, "c\\\\d"]',
      'settings:\n  a: &x$$y ${A}\n  b: *x$y',
    ];
    // Lines at the start of a line of the file, where an edit could make or unmake a document separator.
    const tails = ['', '---\n-${A}\n', '---\n..${B}\n---\nkind: secret\nname: ${A}\n'];
    const counts: Comparison = { inPlace: 0, reparsed: 0 };
    const next = random(2026);
    for (let round = 0; round < 1500; round++) {
      const chosen = [...places].sort(() => next() - 0.5).slice(0, 1 + Math.floor(next() * 3));
      const body = chosen.map((place) => place.replace(/^/gm, '  ')).join('\n');
      const tail = tails[Math.floor(next() * tails.length)];
      const lf = `kind: pipeline\nname: p\nsteps:\n- name: s\n${body}\n${tail}`;
      const text = next() < 0.1 ? lf.replace(/\n/g, '\r\n') : lf;
      const file = parsePipelineFile(text, { fileName: `generated-${round}.yml` });
      compareBothWays(file, () => hostileValue(next), counts);
    }
    expect(counts.inPlace).toBeGreaterThan(300);
    expect(counts.reparsed).toBeGreaterThan(300);
  });

  it('leaves the parsed tree as it was, so that the next stage substitutes the original', () => {
    const file = parsePipelineFile('kind: pipeline\nname: p\nsteps:\n- name: s\n  image: alpine:${TAG}\n', {
      fileName: '.drone.yml',
    });
    const values = (tag: string) => {
      const parsed = parseTemplate(file.text);
      if (!parsed.ok) throw new Error(parsed.error);
      const result = parsed.template.edits({ TAG: tag });
      if (!result.ok) throw new Error(result.error);
      const edits = editsByDocument(file, result.edits)?.[0] ?? [];
      const [source] = splitDocuments(applyEdits(file.text, result.edits)).documents;
      const [original] = file.documents;
      if (source === undefined || original === undefined) throw new Error('no document');
      const substituted = substituteInPlace(original, edits, source);
      if (substituted === null) throw new Error('expected the in-place path');
      const resource = substituted.document.resource;
      return resource.kind === 'pipeline' ? resource.steps[0]?.image : undefined;
    };
    expect(values('3.19')).toBe('alpine:3.19');
    expect(values('edge')).toBe('alpine:edge');
    const [original] = file.documents;
    expect(original?.resource.kind === 'pipeline' && original.resource.steps[0]?.image).toBe('alpine:${TAG}');
  });
});
