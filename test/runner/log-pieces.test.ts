import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../sidecar/core/index.ts';
import { FrameDemuxer } from '../../sidecar/runner/frame-demuxer.ts';
import { createMasker } from '../../sidecar/runner/log-masker.ts';
import { MaskedLineSplitter } from '../../sidecar/runner/masked-line-splitter.ts';
import { StepLog } from '../../sidecar/runner/step-log.ts';
import { quietLogger } from './stage-harness.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('frame demuxer', () => {
  it('joins stdout and stderr payloads in order however the frames are split', () => {
    const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    for (const size of [1, 3, 8, 9, 100]) {
      const demuxer = new FrameDemuxer();
      const parts: Buffer[] = [];
      for (let offset = 0; offset < bytes.length; offset += size)
        parts.push(...demuxer.push(bytes.subarray(offset, offset + size)));
      expect(Buffer.concat(parts).toString()).toBe('out one\nerr\nout two\n');
    }
  });
});

describe('masker', () => {
  it('masks each line of a multi-line secret, the longest first, and ignores one-character parts', () => {
    const masker = createMasker(['abc', 'abcdef', 'line one\n  line two  \nx']);
    expect(masker.mask('abcdef abc line two x')).toBe('****** ****** ****** x');
    expect(masker.longest).toBe(8);
  });

  it('treats regular expression characters in secrets literally', () => {
    expect(createMasker(['a.b*c']).mask('a.b*c axbbc')).toBe('****** axbbc');
  });
});

describe('masked line splitter', () => {
  it('masks a secret cut across chunks and across a forced cut of an overlong line', () => {
    const splitter = new MaskedLineSplitter(createMasker(['SECRET']), 16);
    const lines = [
      ...splitter.push('aaaaaaaaaaaaaaSEC'),
      ...splitter.push('RETbbbbbbbbbbbbbbbbb\nnext SE'),
      ...splitter.push('CRET\r\n'),
    ];
    expect(lines.join('')).not.toContain('SEC');
    expect(lines.join('|')).toContain('******');
    expect(lines.at(-1)).toBe('next ******');
    expect(splitter.end()).toEqual([]);
  });
});

describe('step log', () => {
  it('sends numbered lines in chunks and waits for a slow sink before reading on', async () => {
    const chunks: LogLine[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const log = new StepLog({
      step: 's',
      sink: {
        async write(_step, lines) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          chunks.push([...lines]);
          inFlight--;
        },
      },
      masker: createMasker([]),
      logger: quietLogger,
      limitBytes: 1024,
      chunkLines: 10,
      flushMs: 1000,
    });
    for (let index = 0; index < 50; index++) log.write(frame(1, `line ${index}\n`));
    log.end(frame(2, 'unterminated'));
    await new Promise((resolve) => log.on('finish', resolve));
    const lines = chunks.flat();
    expect(maxInFlight).toBe(1);
    expect(chunks.length).toBeGreaterThan(1);
    expect(lines.map((line) => line.number)).toEqual(lines.map((_, index) => index));
    expect(lines.at(0)?.text).toBe('line 0');
    expect(lines.at(-1)?.text).toBe('unterminated');
  });
});
