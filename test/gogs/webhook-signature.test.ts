import { describe, expect, it } from 'vitest';
import { matchGogsSignature, signGogsPayload } from '../../sidecar/gogs/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';

const recorded = fixtureJson<Record<string, string>>('push_signed.headers.json');

describe('X-Gogs-Signature', () => {
  const body = fixtureBytes('push_signed.json');

  it('verifies the real Gogs delivery with its recorded secret', () => {
    expect(matchGogsSignature(body, recorded['X-Gogs-Signature']!, ['letmein'])).toBe(0);
  });

  it('fails with any other secret', () => {
    for (const secret of ['letmein ', 'Letmein', '', 'topsecret', 'letmei']) {
      expect(matchGogsSignature(body, recorded['X-Gogs-Signature']!, [secret])).toBe(-1);
    }
  });

  it('fails when one byte of the body changes, or a trailing newline is added', () => {
    const altered = Buffer.from(body);
    altered[100] = altered[100]! ^ 1;
    expect(matchGogsSignature(altered, recorded['X-Gogs-Signature']!, ['letmein'])).toBe(-1);
    expect(
      matchGogsSignature(Buffer.concat([body, Buffer.from('\n')]), recorded['X-Gogs-Signature']!, [
        'letmein',
      ]),
    ).toBe(-1);
  });

  it('fails on a re-serialised body (the abstruse #336 bug)', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))));
    expect(matchGogsSignature(reserialised, recorded['X-Gogs-Signature']!, ['letmein'])).toBe(-1);
  });

  it('matches the previous secret during a rotation and says which one matched', () => {
    expect(matchGogsSignature(body, recorded['X-Gogs-Signature']!, ['new-secret', 'letmein'])).toBe(1);
  });

  it('refuses malformed signatures: prefixed, short, not hex, empty', () => {
    const good = recorded['X-Gogs-Signature']!;
    for (const signature of [`sha256=${good}`, good.slice(2), `${good.slice(0, 62)}zz`, '', '   ']) {
      expect(matchGogsSignature(body, signature, ['letmein'])).toBe(-1);
    }
  });

  it('agrees with the go-scm test vector for pull_request_edited.json', () => {
    const pr = fixtureBytes('pull_request_edited.json');
    expect(signGogsPayload(pr, 'topsecret')).toBe(
      'fe7faa4703b9bf4e6834e8bdb36a8286a063d3498d7d92d81e49e1f490f087aa',
    );
  });
});
