import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * Checks X-Gogs-Signature: lowercase hex HMAC-SHA256 of the signed bytes, keyed with the hook secret.
 * Tries each candidate secret (current, then previous during a rotation) in constant time per comparison.
 * Returns the index of the secret that matched, or -1.
 */
export function matchGogsSignature(
  signed: Uint8Array,
  signature: string,
  secrets: readonly string[],
): number {
  const normalized = signature.trim().toLowerCase();
  if (!SIGNATURE.test(normalized)) return -1;
  const expected = Buffer.from(normalized, 'hex');
  let matched = -1;
  secrets.forEach((secret, index) => {
    const actual = createHmac('sha256', secret).update(signed).digest();
    if (timingSafeEqual(actual, expected) && matched === -1) matched = index;
  });
  return matched;
}

/** The signature Gogs would send for these bytes. */
export function signGogsPayload(signed: Uint8Array | string, secret: string): string {
  return createHmac('sha256', secret).update(signed).digest('hex');
}
