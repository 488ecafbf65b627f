/**
 * Security: no piece of a secret reaches the stored log, the live log or an error, whatever the chunking, the
 * interleaving of stdout and stderr frames, or where the log cap (or a broken attach stream) cuts the output.
 *
 * Secrets and filler are drawn from disjoint alphabets, and secrets avoid every character the runner writes
 * itself (the truncation line), so the property is exact: a substring of 4 or more characters of a secret in the
 * output can only be the secret's own bytes leaking. (Strictly, the check allows such a substring when it is
 * already in what the step printed besides its secrets; with these alphabets that never happens.)
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../sidecar/core/index.ts';
import { createLogHub } from '../../sidecar/runner/index.ts';
import { createMasker } from '../../sidecar/runner/log-masker.ts';
import { StepLog } from '../../sidecar/runner/step-log.ts';
import { createStoredLogSink } from '../../sidecar/store/index.ts';
import { openTestStores } from '../support/stores.ts';
import { frame } from './attach-frames.ts';
import { quietLogger } from './stage-harness.ts';
import { storeSteps } from './stored-steps.ts';

/** No K, B or M (the truncation line says "KB"/"MB"); multi-byte characters, a surrogate pair included. */
const SECRET_ALPHABET = [...'ACDEFGHIJLNOPQRSTUVWXYZΣΩλ€𝄞'];
const FILLER_ALPHABET = [...'abcdefghij0123456789 .,:;!?#()-_\t\r\n\n\n\né中'];

const secretLine = (min: number) =>
  fc
    .array(fc.constantFrom(...SECRET_ALPHABET), { minLength: min, maxLength: 16 })
    .map((chars) => chars.join(''));
const secretValue = fc.oneof(
  secretLine(2),
  fc.array(secretLine(1), { minLength: 2, maxLength: 4 }).map((lines) => lines.join('\n')),
);
const filler = fc
  .array(fc.constantFrom(...FILLER_ALPHABET), { minLength: 0, maxLength: 30 })
  .map((chars) => chars.join(''));

/** What a step prints on one stream: filler, and secrets printed whole or (multi-line ones) one line at a time. */
function streamText(secrets: string[]) {
  const occurrences = secrets.flatMap((secret) => [
    secret,
    ...secret.split('\n').filter((line, _, lines) => lines.length > 1 && line.length >= 4),
  ]);
  const piece = fc.oneof(
    filler.map((text) => ({ text, secret: false })),
    fc.constantFrom(...occurrences).map((text) => ({ text, secret: true })),
  );
  return fc.array(piece, { maxLength: 12 });
}

/** Substrings of 4 characters (code units) of `secret`: a longer leak always contains one. */
function quadgrams(secret: string): string[] {
  return Array.from({ length: Math.max(0, secret.length - 3) }, (_, index) => secret.slice(index, index + 4));
}

/** Cuts `bytes` at the given sizes (cycled), anywhere, through multi-byte characters too. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0, turn = 0; offset < bytes.length; turn++) {
    const size = sizes[turn % sizes.length] ?? 1;
    parts.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return parts;
}

/** Merges the frames of both streams in the order the booleans give (true: stdout next), each stream in order. */
function interleave(out: Buffer[], err: Buffer[], order: boolean[]): Buffer[] {
  const merged: Buffer[] = [];
  let o = 0;
  let e = 0;
  for (let turn = 0; o < out.length || e < err.length; turn++) {
    const takeOut = e >= err.length || (o < out.length && (order[turn % Math.max(order.length, 1)] ?? true));
    merged.push(takeOut ? frame(1, out[o++] as Buffer) : frame(2, err[e++] as Buffer));
  }
  return merged;
}

let stores: Awaited<ReturnType<typeof openTestStores>>;
beforeAll(async () => {
  stores = await openTestStores();
});
afterAll(async () => {
  await stores?.dispose();
});

let runs = 0;

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const all: LogLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

describe('secrets never leak', () => {
  it('through the stored log, the live log or an error, however output is cut, interleaved and capped', async () => {
    const scenario = fc.uniqueArray(secretValue, { minLength: 1, maxLength: 3 }).chain((secrets) =>
      fc.record({
        secrets: fc.constant(secrets),
        stdout: streamText(secrets),
        stderr: streamText(secrets),
        error: streamText(secrets),
        frameSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        order: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        writeSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        /** Where the log cap falls, as a share of the output (above 1: no cut). */
        cap: fc.double({ min: 0, max: 1.2, noNaN: true }),
        /** Whether the attach stream breaks early, and where. */
        broken: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      }),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        const text = (pieces: { text: string }[]) => pieces.map((piece) => piece.text).join('');
        const withoutSecrets = (pieces: { text: string; secret: boolean }[]) =>
          pieces
            .filter((piece) => !piece.secret)
            .map((piece) => piece.text)
            .join('');
        const out = Buffer.from(text(input.stdout));
        const err = Buffer.from(text(input.stderr));
        let bytes = Buffer.concat(
          interleave(cut(out, input.frameSizes), cut(err, input.frameSizes.toReversed()), input.order),
        );
        if (input.broken !== null) bytes = bytes.subarray(0, Math.floor(bytes.length * input.broken));
        const limitBytes = Math.max(1, Math.floor((out.length + err.length) * input.cap));

        const masker = createMasker(input.secrets);
        runs++;
        const steps = await storeSteps(stores, ['leak']);
        const key = steps.idOf('leak');
        const hub = createLogHub({ store: stores.logs, changes: stores.changes });
        const live = collect(hub.follow(key));
        const log = new StepLog({
          step: 'leak',
          sink: createStoredLogSink({ store: stores.logs, stepIds: steps.stepIds, live: hub }),
          masker,
          logger: quietLogger,
          limitBytes,
          chunkLines: 3,
          flushMs: 1000,
        });
        for (const chunk of cut(bytes, input.writeSizes)) log.write(chunk);
        log.end();
        await new Promise((resolve) => log.on('finish', resolve));

        const stored = await stores.logs.read(key, { limit: 100_000 });
        expect(await live).toEqual(stored);
        const reference = [
          withoutSecrets(input.stdout),
          withoutSecrets(input.stderr),
          withoutSecrets(input.error),
        ];
        const outputs = {
          log: stored.map((line) => line.text).join('\n'),
          error: masker.mask(text(input.error)),
        };
        for (const secret of input.secrets) {
          for (const piece of quadgrams(secret)) {
            if (reference.some((printed) => printed.includes(piece))) continue;
            expect(outputs.log, `log leaks ${JSON.stringify(piece)}`).not.toContain(piece);
            expect(outputs.error, `error leaks ${JSON.stringify(piece)}`).not.toContain(piece);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(runs).toBe(300);
  }, 120_000);
});
