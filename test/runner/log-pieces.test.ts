import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../sidecar/core/index.ts';
import { FrameDemuxer } from '../../sidecar/runner/frame-demuxer.ts';
import { LineSplitter } from '../../sidecar/runner/line-splitter.ts';
import { createMasker } from '../../sidecar/runner/log-masker.ts';
import { StepLog } from '../../sidecar/runner/step-log.ts';
import { frame } from './attach-frames.ts';
import { quietLogger } from './stage-harness.ts';

/** Feeds `frames` to a fresh step log with these secrets and cap; resolves with the lines the sink received. */
async function logOf(frames: Buffer[], secrets: string[], limitBytes = 1024 * 1024): Promise<string[]> {
  const received: LogLine[] = [];
  const log = new StepLog({
    step: 's',
    sink: { write: (_step, lines) => void received.push(...lines) },
    masker: createMasker(secrets),
    logger: quietLogger,
    limitBytes,
    chunkLines: 100,
    flushMs: 1000,
  });
  for (const piece of frames) log.write(piece);
  log.end();
  await new Promise((resolve) => log.on('finish', resolve));
  return received.map((line) => line.text);
}

describe('frame demuxer', () => {
  it('gives each payload with its stream, in order, however the frames are split', () => {
    const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    for (const size of [1, 3, 8, 9, 100]) {
      const demuxer = new FrameDemuxer();
      const parts: { stream: number; bytes: Buffer }[] = [];
      for (let offset = 0; offset < bytes.length; offset += size)
        parts.push(...demuxer.push(bytes.subarray(offset, offset + size)));
      const text = (stream: number) =>
        Buffer.concat(parts.filter((part) => part.stream === stream).map((part) => part.bytes)).toString();
      expect(text(1)).toBe('out one\nout two\n');
      expect(text(2)).toBe('err\n');
    }
  });
});

describe('masker', () => {
  it('masks the value, each line of 4+ characters of a multi-line value, and ignores one-character values', () => {
    const masker = createMasker(['abc', 'abcdef', 'line one\n  line two  \nxy', 'z']);
    expect(masker.mask('abcdef abc line two xy z')).toBe('****** ****** ****** xy z');
    expect(masker.mask('a line one\n  line two  \nxy b')).toBe('a ****** b');
  });

  it('masks every character of overlapping occurrences, whichever form matched first', () => {
    expect(createMasker(['ABCD', 'CDEFGH']).mask('xABCDEFGHx')).toBe('x******x');
    expect(createMasker(['ABCD']).mask('ABCDABCD ABCABCD')).toBe('****** ABC******');
  });

  it('treats regular expression characters in secrets literally', () => {
    expect(createMasker(['a.b*c']).mask('a.b*c axbbc')).toBe('****** axbbc');
  });

  it('masks the base64 of a secret at each of the three byte alignments, standard and URL-safe', () => {
    const secret = 'p4ss/w?rd>>~';
    const masker = createMasker([secret]);
    for (const before of ['', 'x', 'xy', 'xyz', 'user:']) {
      for (const after of ['', '!', '\n']) {
        const bytes = Buffer.from(`${before}${secret}${after}`);
        for (const encoded of [bytes.toString('base64'), bytes.toString('base64url')]) {
          const masked = masker.mask(`echo ${encoded} done`);
          expect(masked, `${before}|${after}`).toContain('******');
          // At most two characters on each side of the mask mix the secret's bits with its neighbours'.
          const [head = '', tail = ''] = masked.slice('echo '.length, -' done'.length).split('******');
          expect(head.length).toBeLessThanOrEqual(Math.ceil((before.length * 8) / 6) + 1);
          expect(tail.replace(/=+$/, '').length).toBeLessThanOrEqual(Math.ceil((after.length * 8) / 6) + 1);
        }
      }
    }
  });

  it('masks the URL-encoded forms of a secret', () => {
    const masker = createMasker(['a b&c/d=é']);
    expect(masker.mask(`?token=${encodeURIComponent('a b&c/d=é')}&x=1`)).toBe('?token=******&x=1');
    expect(masker.mask(`token=${new URLSearchParams({ t: 'a b&c/d=é' }).toString().slice(2)}`)).toBe(
      'token=******',
    );
  });

  it('holds back in a stream only what could still become a secret, and masks it when the stream ends', () => {
    const stream = createMasker(['SECRET', 'ETC1']).stream();
    expect(stream.push('one SEC')).toBe('one ');
    expect(stream.push('RET two SECR')).toBe('****** two ');
    // SECRET is whole, but ET could start ETC1: the mask is written now and reaches into what is held.
    expect(stream.push('ET')).toBe('******');
    expect(stream.push(' three SE')).toBe(' three ');
    expect(stream.end()).toBe('******');
    const plain = createMasker(['SECRET']).stream();
    expect(plain.push('no secret here\n')).toBe('no secret here\n');
    expect(plain.end()).toBe('');
  });

  it('writes out a run of touching occurrences as it goes instead of holding it back whole', () => {
    // A step printing its own secret without end: what is held stays below the longest form, so each piece
    // costs the same (held whole, 2,000 pieces of 900 characters took 32 s of CPU, rescanning it all each time).
    const stream = createMasker(['abcabc']).stream();
    const pieces = Array.from({ length: 2000 }, () => stream.push('abc'.repeat(300)));
    expect(pieces[0]).toBe('******');
    expect(pieces.slice(1).join('')).toBe('');
    expect(stream.push('\nplain')).toBe('\nplain');
    expect(stream.end()).toBe('');
  });
});

describe('line splitter', () => {
  it('splits lines across chunks, drops a CR before LF and cuts overlong lines', () => {
    const splitter = new LineSplitter(4);
    expect(splitter.push('ab')).toEqual([]);
    expect(splitter.push('c\r\nabcdefghij')).toEqual(['abc', 'abcd', 'efgh']);
    expect(splitter.end()).toEqual(['ij']);
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

  it('masks a secret split across frames of one stream with frames of the other in between', async () => {
    const lines = await logOf(
      [frame(1, 'token s3c'), frame(2, 'warning\n'), frame(1, 'r3t-value\n'), frame(2, 'ok\n')],
      ['s3cr3t-value'],
    );
    expect(lines).toEqual(['warning', 'token ******', 'ok']);
  });

  it('masks a multi-line secret printed whole, and each of its lines printed alone', async () => {
    const key = 'BEGIN\nMIIsecretbody\nEND';
    const lines = await logOf(
      [
        frame(1, `key: ${key.slice(0, 8)}`),
        frame(1, `${key.slice(8)} after\n`),
        frame(2, 'x MIIsecretbody\n'),
      ],
      [key],
    );
    expect(lines).toEqual(['key: ****** after', 'x ******']);
  });

  it('closes the attach stream at the cap instead of reading on and discarding', async () => {
    const limitBytes = 64 * 1024;
    let produced = 0;
    const payload = frame(1, `${'0123456789'.repeat(100)}\n`);
    // Endless output, arriving as from a socket: following it to its end would never finish.
    const endless = new Readable({
      read() {
        setImmediate(() => {
          produced += payload.length;
          this.push(payload);
        });
      },
    });
    const lines: string[] = [];
    const log = new StepLog({
      step: 's',
      sink: { write: (_step, written) => void lines.push(...written.map((line) => line.text)) },
      masker: createMasker([]),
      logger: quietLogger,
      limitBytes,
      chunkLines: 100,
      flushMs: 1000,
    });
    await log.follow(endless, () => {});
    expect(endless.destroyed).toBe(true);
    expect(lines.at(-1)).toMatch(/^drone-gogs: log truncated: /);
    // What was read past the cap is at most the streams' buffers, not the output that followed.
    expect(produced).toBeLessThan(limitBytes + 256 * 1024);
  });

  it('masks the start of a secret that the log cap cuts off', async () => {
    const secret = 'TOPSECRETVALUE';
    for (let cap = 20; cap < 20 + secret.length; cap++) {
      const lines = await logOf([frame(1, `${'a'.repeat(20)}${secret}\nmore\n`)], [secret], cap);
      const text = lines.join('\n');
      expect(text, `cap ${cap}`).not.toContain('TOPS');
      expect(lines.at(-2), `cap ${cap}`).toBe(cap === 20 ? 'a'.repeat(20) : `${'a'.repeat(20)}******`);
      expect(lines.at(-1)).toMatch(/^drone-gogs: log truncated/);
    }
  });

  it('masks the start of a secret when the cap cuts one of its characters in two', async () => {
    const secret = 'XYZWΩQRS';
    const cap = Buffer.byteLength('log XYZW') + 1;
    const lines = await logOf([frame(1, `log ${secret}\n`)], [secret], cap);
    expect(lines[0]).toBe('log ******\ufffd');
  });

  it('masks what the runner notes, multi-line secrets included', async () => {
    const received: string[] = [];
    const log = new StepLog({
      step: 's',
      sink: { write: (_step, lines) => void received.push(...lines.map((line) => line.text)) },
      masker: createMasker(['ab\ncd']),
      logger: quietLogger,
      limitBytes: 1024,
      chunkLines: 100,
      flushMs: 1000,
    });
    log.note('drone-gogs: cannot use ab\ncd as it is');
    await log.close();
    expect(received).toEqual(['drone-gogs: cannot use ****** as it is']);
  });
});
