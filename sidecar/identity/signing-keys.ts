/**
 * ES256 key pairs for workload tokens (jose): made with their kid (the RFC 7638 thumbprint), the private half
 * encrypted for the database and bound to that kid, read back into a key that signs.
 */
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import {
  AppError,
  type PublicSigningJwk,
  type StoredSigningKey,
  workloadSigningKeyPlace,
} from '../core/index.ts';
import type { SecretCipher } from '../secrets/index.ts';

export type KeyCipher = Pick<SecretCipher, 'encrypt' | 'decrypt'>;

const ALG = 'ES256';

function ecPoint(jwk: { x?: string | undefined; y?: string | undefined }): { x: string; y: string } {
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new AppError('INTERNAL', 'workload identity: an EC key without its point');
  }
  return { x: jwk.x, y: jwk.y };
}

/** A fresh key pair as stored: only its private half is secret, and that is encrypted. */
export async function generateSigningKey(
  cipher: KeyCipher,
  at: { generation: number; createdAt: number; notBefore: number },
): Promise<StoredSigningKey> {
  const pair = await generateKeyPair(ALG, { extractable: true });
  const { x, y } = ecPoint(await exportJWK(pair.publicKey));
  const publicJwk = { kty: 'EC', crv: 'P-256', x, y } as const;
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const { d } = await exportJWK(pair.privateKey);
  if (typeof d !== 'string') throw new AppError('INTERNAL', 'workload identity: a private key without d');
  const privateJwk = JSON.stringify({ ...publicJwk, d });
  return {
    kid,
    ...at,
    alg: ALG,
    publicJwk,
    privateKey: cipher.encrypt(privateJwk, workloadSigningKeyPlace(kid)),
  };
}

/**
 * The key that signs with a stored key. Throws DECRYPT_FAILED when its private half does not decrypt (another
 * secret key, or copied from another row), INTERNAL when it is not the private half of the stored public key.
 */
export async function signingKeyFrom(cipher: KeyCipher, stored: StoredSigningKey): Promise<CryptoKey> {
  const jwk = JSON.parse(cipher.decrypt(stored.privateKey, workloadSigningKeyPlace(stored.kid)));
  if (jwk.x !== stored.publicJwk.x || jwk.y !== stored.publicJwk.y || typeof jwk.d !== 'string') {
    throw new AppError('INTERNAL', `workload identity: the private key of ${stored.kid} does not match it`);
  }
  return (await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d }, ALG)) as CryptoKey;
}

/** What is published of a stored key: fields copied one by one, so nothing private can ride along. */
export function publicJwkOf(stored: StoredSigningKey): PublicSigningJwk {
  return {
    kty: 'EC',
    crv: 'P-256',
    x: stored.publicJwk.x,
    y: stored.publicJwk.y,
    kid: stored.kid,
    alg: ALG,
    use: 'sig',
  };
}
