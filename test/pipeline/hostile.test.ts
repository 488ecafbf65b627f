/**
 * Hostile input: each case becomes one clear problem (never an exception, a hang or a crash), and planning such
 * a file gives an errored build.
 */
import { describe, expect, it } from 'vitest';
import {
  lintPipelineFile,
  type ParsedFile,
  parsePipelineFile,
  planPipelines,
} from '../../sidecar/pipeline/index.ts';
import { context } from './support.ts';

function read(source: string | Uint8Array): ParsedFile {
  return parsePipelineFile(source, { fileName: 'hostile.yml' });
}

function errors(file: ParsedFile): { rule: string; message: string; line: number }[] {
  return lintPipelineFile(file, { trusted: false })
    .filter((problem) => problem.severity === 'error')
    .map(({ rule, message, line }) => ({ rule, message, line }));
}

function expectErroredBuild(file: ParsedFile): void {
  const result = planPipelines(file, context());
  expect(result.error).not.toBeNull();
  expect(result.plan.stages).toEqual([]);
}

describe('hostile input', () => {
  it('an alias bomb (billion laughs) is refused, not expanded', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const file = read(
      `kind: pipeline\nsteps:\n- name: boom\n  image: x\n  settings:\n${levels.map((line) => `    ${line}`).join('\n')}\n`,
    );
    expect(errors(file)).toEqual([
      { rule: 'alias-bomb', message: expect.stringContaining('alias bomb'), line: 1 },
    ]);
    expectErroredBuild(file);
  });

  it('a self-referencing alias is cut off by the depth limit', () => {
    const file = read(
      'kind: pipeline\nsteps:\n- name: loop\n  image: x\n  settings:\n    a: &loop [*loop]\n',
    );
    expect(errors(file).map((problem) => problem.rule)).toContain('too-deep');
  });

  it('deep flow nesting is refused before the YAML parser sees it', () => {
    const lines = (char: string) => Array(100).fill(char.repeat(1000)).join('\n  ');
    const file = read(`kind: pipeline\nx: ${lines('[')}\n  ${lines(']')}\n`);
    expect(errors(file)).toEqual([
      { rule: 'too-deep', message: '[ ] / { } nested deeper than 64 levels', line: 2 },
    ]);
    expectErroredBuild(file);
  });

  it('deep block nesting becomes a syntax error', () => {
    const file = read(`kind: pipeline\nx:\n${'- '.repeat(30_000)}x\n`);
    expect(errors(file).map((problem) => problem.rule)).toEqual(['yaml-syntax']);
    expect(errors(file)[0]?.message).toBe('YAML nested too deeply');
  });

  it('a 10 MB file is refused by size, as text or as bytes', () => {
    const big = `kind: pipeline\n# ${'x'.repeat(10 * 1024 * 1024)}\n`;
    for (const source of [big, new TextEncoder().encode(big)]) {
      const file = read(source);
      expect(errors(file)).toEqual([
        { rule: 'file-too-large', message: 'file is 10.0 MB; the limit is 1.0 MB', line: 1 },
      ]);
      expect(file.documents).toEqual([]);
    }
  });

  it('binary data is refused at the first NUL byte', () => {
    const file = read(new Uint8Array([0x6b, 0x69, 0x0a, 0x00, 0x01, 0x02]));
    expect(errors(file)).toEqual([
      { rule: 'binary-file', message: expect.stringContaining('binary'), line: 2 },
    ]);
  });

  it('invalid UTF-8 is refused with the byte offset', () => {
    const file = read(
      new Uint8Array([...new TextEncoder().encode('kind: pipeline\nname: '), 0xc3, 0x28, 0x0a]),
    );
    expect(errors(file)).toEqual([
      { rule: 'invalid-utf8', message: 'file is not valid UTF-8 (byte 21)', line: 2 },
    ]);
  });

  it('control characters are refused as go-yaml refuses them', () => {
    const file = read('kind: pipeline\nname: a\u0007b\n');
    expect(errors(file)).toEqual([
      { rule: 'control-character', message: 'control character U+0007 is not allowed in YAML', line: 2 },
    ]);
  });

  it('duplicate keys are reported clearly; Drone keeps the last, and so do we', () => {
    const file = read('kind: pipeline\nname: first\nname: second\n');
    const problems = lintPipelineFile(file, { trusted: false });
    expect(problems.map(({ rule, severity, line }) => ({ rule, severity, line }))).toEqual([
      { rule: 'duplicate-key', severity: 'warning', line: 3 },
    ]);
    expect(planPipelines(file, context()).pipelines.map((pipeline) => pipeline.name)).toEqual(['second']);
  });

  it('tabs used for indentation are a syntax error at the tab', () => {
    const file = read('kind: pipeline\nsteps:\n\t- name: a\n');
    expect(errors(file)).toEqual([
      { rule: 'yaml-syntax', message: 'tab characters cannot be used for indentation; use spaces', line: 3 },
    ]);
    expectErroredBuild(file);
  });

  it('thousands of documents are refused as a whole', () => {
    // The trailing --- opens one more (empty) document, as in Drone.
    const file = read('kind: pipeline\n---\n'.repeat(5000));
    expect(errors(file)).toEqual([
      { rule: 'too-many-documents', message: 'file has 5001 documents; the limit is 1000', line: 1 },
    ]);
  });

  it('a line over 64 KiB is reported where Drone would stop reading', () => {
    const file = read(`kind: pipeline\nname: a\n# ${'x'.repeat(70_000)}\nsteps: []\n`);
    expect(errors(file)).toEqual([
      { rule: 'line-too-long', message: expect.stringContaining('64 KiB'), line: 3 },
    ]);
  });

  it('junk that is valid YAML but not a pipeline is a clear error', () => {
    expect(errors(read('- just\n- a list\n')).map((problem) => problem.rule)).toEqual(['wrong-type']);
    expect(errors(read('"a string"\n')).map((problem) => problem.rule)).toEqual(['wrong-type']);
    expect(errors(read('')).map((problem) => problem.rule)).toEqual([]);
  });
});
