/**
 * `kind: signature` for protected repositories (drone-yaml signer, spec §3.5): HMAC-SHA256, keyed with the
 * repository's secret, over the exact text of every other document, hex encoded.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ParsedFile } from './parse.ts';

export type SignatureCheck = 'verified' | 'mismatch' | 'unsigned';

/** The hmac a `kind: signature` document must carry for this file and key. */
export function signatureOf(file: ParsedFile, key: string): string {
  const hmac = createHmac('sha256', key);
  for (const document of file.documents) {
    if (document.resource.kind !== 'signature') hmac.update(document.data);
  }
  return hmac.digest('hex');
}

/** Compares in constant time; a file without a signature document is `unsigned`. */
export function verifySignature(file: ParsedFile, key: string): SignatureCheck {
  const signature = file.documents.find((document) => document.resource.kind === 'signature')?.resource;
  if (signature?.kind !== 'signature' || signature.hmac === '') return 'unsigned';
  const expected = Buffer.from(signatureOf(file, key));
  const given = Buffer.from(signature.hmac);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'verified' : 'mismatch';
}
