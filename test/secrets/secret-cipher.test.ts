import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError, hookSecretPlace, previousHookSecretPlace } from '../../sidecar/core/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { encryptAsV1, RECORDED_V1 } from './old-format.ts';

const key = randomBytes(32);
const cipher = createSecretCipher(key);
const place = hookSecretPlace(7);
const expectedKeyId = createHash('sha256').update('drone-gogs key id').update(key).digest('hex').slice(0, 8);

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError, got a value');
}

/** Splits `v2:<keyId>:<iv>:<ciphertext>:<tag>` into its parts, the binary ones decoded. */
function partsOf(stored: string) {
  const [version, keyId, iv, ciphertext, tag, ...rest] = stored.split(':');
  expect(rest).toEqual([]);
  return {
    version,
    keyId,
    iv: Buffer.from(iv!, 'base64url'),
    ciphertext: Buffer.from(ciphertext!, 'base64url'),
    tag: Buffer.from(tag!, 'base64url'),
  };
}

const join = (p: ReturnType<typeof partsOf>) =>
  [
    p.version,
    p.keyId,
    p.iv.toString('base64url'),
    p.ciphertext.toString('base64url'),
    p.tag.toString('base64url'),
  ].join(':');

describe('the secret cipher', () => {
  it('stores v2:<keyId>:<iv>:<ciphertext>:<tag>, the key id derived from the key, and reads it back', () => {
    const stored = cipher.encrypt('s3cret-value', place);
    const parts = partsOf(stored);
    expect(parts.version).toBe('v2');
    expect(parts.keyId).toBe(expectedKeyId);
    expect(cipher.keyId).toBe(expectedKeyId);
    expect(cipher.keyIdOf(stored)).toBe(expectedKeyId);
    expect(parts.iv).toHaveLength(12);
    expect(parts.tag).toHaveLength(16);
    expect(parts.ciphertext).toHaveLength('s3cret-value'.length);
    expect(stored).not.toContain('s3cret');
    expect(cipher.decrypt(stored, place)).toBe('s3cret-value');
    expect(cipher.encrypt('s3cret-value', place)).not.toBe(stored);
  });

  it('refuses a ciphertext copied from another row, or from the other column of the same row', () => {
    const stored = cipher.encrypt('row seven', hookSecretPlace(7));
    for (const elsewhere of [hookSecretPlace(8), previousHookSecretPlace(7), 'repos.hook_secret:77']) {
      const error = refusal(() => cipher.decrypt(stored, elsewhere));
      expect(error.code).toBe('DECRYPT_FAILED');
      expect(error.details).toEqual({ reason: 'not-authentic', place: elsewhere });
      expect(error.message).toContain(`stored secret ${elsewhere}`);
      expect(error.message).toContain('copied from another place');
    }
  });

  it('refuses a truncated or altered tag, ciphertext, iv or key id', () => {
    const parts = partsOf(cipher.encrypt('whole', place));
    const forgeries = {
      'tag cut to 12 bytes': { ...parts, tag: parts.tag.subarray(0, 12) },
      'tag cut to 4 bytes': { ...parts, tag: parts.tag.subarray(0, 4) },
      'tag flipped': { ...parts, tag: Buffer.from(parts.tag.map((b, i) => (i === 0 ? b ^ 1 : b))) },
      'ciphertext flipped': {
        ...parts,
        ciphertext: Buffer.from(parts.ciphertext.map((b, i) => (i === 0 ? b ^ 1 : b))),
      },
      'iv cut': { ...parts, iv: parts.iv.subarray(0, 8) },
    };
    for (const [what, forged] of Object.entries(forgeries)) {
      const error = refusal(() => cipher.decrypt(join(forged), place));
      expect({ what, code: error.code, reason: error.details?.reason }).toEqual({
        what,
        code: 'DECRYPT_FAILED',
        reason: 'not-authentic',
      });
    }
    // Node accepts a 4-byte GCM tag unless told the length: the cipher must have told it.
    const shortTag = refusal(() => cipher.decrypt(join(forgeries['tag cut to 4 bytes']), place));
    expect(shortTag.message).toMatch(/truncated or altered/);
  });

  it('names the key id of a value encrypted with a key it does not hold', () => {
    const other = createSecretCipher(randomBytes(32));
    const stored = other.encrypt('from elsewhere', place);
    expect(other.keyId).not.toBe(cipher.keyId);
    expect(cipher.keyIdOf(stored)).toBe(other.keyId);
    const error = refusal(() => cipher.decrypt(stored, place));
    expect(error.code).toBe('DECRYPT_FAILED');
    expect(error.details).toEqual({ reason: 'unknown-key', place });
    expect(error.message).toContain(`encrypted with key ${other.keyId}`);
    expect(error.message).toContain(`is key ${cipher.keyId}`);
    expect(error.message).toContain('DRONE_GOGS_SECRET_KEY');
    // A forged header naming our key does not make another key's ciphertext ours.
    const relabelled = join({ ...partsOf(stored), keyId: cipher.keyId });
    expect(refusal(() => cipher.decrypt(relabelled, place)).details?.reason).toBe('not-authentic');
  });

  it('refuses the old v1 form in ordinary reads, pointing at migrate, and anything malformed', () => {
    const v1 = encryptAsV1(key, randomBytes(12), 'old');
    const old = refusal(() => cipher.decrypt(v1, place));
    expect(old.code).toBe('DECRYPT_FAILED');
    expect(old.details).toEqual({ reason: 'format', place });
    expect(old.message).toContain('drone-gogs migrate');
    expect(cipher.keyIdOf(v1)).toBeNull();
    for (const junk of ['', 'plain', 'v2:abc', `v3:${cipher.keyId}:a:b:c`, 'v2:a:b:c:d:e']) {
      expect(refusal(() => cipher.decrypt(junk, place)).details?.reason).toBe('format');
    }
  });

  it('upgrades what the code before v2 stored, byte for byte, to v2 bound to the place', () => {
    const iv = Buffer.from(RECORDED_V1.stored.split('.')[1]!, 'base64url');
    expect(encryptAsV1(RECORDED_V1.key, iv, RECORDED_V1.plaintext)).toBe(RECORDED_V1.stored);
    const recorded = createSecretCipher(RECORDED_V1.key);
    expect(recorded.isCurrent(RECORDED_V1.stored)).toBe(false);
    const upgraded = recorded.upgrade(RECORDED_V1.stored, place);
    expect(recorded.isCurrent(upgraded)).toBe(true);
    expect(partsOf(upgraded).keyId).toBe(recorded.keyId);
    expect(recorded.decrypt(upgraded, place)).toBe(RECORDED_V1.plaintext);
    expect(refusal(() => recorded.decrypt(upgraded, hookSecretPlace(8))).details?.reason).toBe(
      'not-authentic',
    );
    expect(recorded.upgrade(upgraded, place)).toBe(upgraded);
  });

  it('does not upgrade a v1 value with a truncated tag (the old code accepted it), nor one of another key', () => {
    const [version, iv, tag, ciphertext] = encryptAsV1(key, randomBytes(12), 'cut').split('.');
    const truncated = [
      version,
      iv,
      Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url'),
      ciphertext,
    ].join('.');
    expect(refusal(() => cipher.upgrade(truncated, place)).details?.reason).toBe('not-authentic');
    const foreign = encryptAsV1(randomBytes(32), randomBytes(12), 'foreign');
    const error = refusal(() => cipher.upgrade(foreign, place));
    expect(error.code).toBe('DECRYPT_FAILED');
    expect(error.message).toContain('not the key it was stored with');
  });
});
