/**
 * The workload token issuer: signs a step's token (ES256) with the current key of the database's, rotating
 * the keys on the way when a rotation is due, and lists the public keys for /.well-known/jwks.json.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, SignJWT } from 'jose';
import {
  AppError,
  type Clock,
  type KeyRotation,
  type Logger,
  type SigningKeyStore,
  type StoredSigningKey,
  type WorkloadTokenIssuer,
} from '../core/index.ts';
import {
  deletableBelow,
  publishedKeys,
  type RotationTimes,
  signingKeyOf,
  successorDue,
  successorNotBefore,
} from './key-rotation.ts';
import { generateSigningKey, type KeyCipher, publicJwkOf, signingKeyFrom } from './signing-keys.ts';
import { DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, workloadPayload } from './workload-claims.ts';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface WorkloadTokenIssuerDeps {
  keys: SigningKeyStore;
  cipher: KeyCipher;
  /** The sidecar's public URL (PUBLIC_URL), e.g. https://ci.example.com: the tokens' `iss`. */
  publicUrl: string;
  clock: Clock;
  logger: Logger;
  /** Default 7 days. */
  rotationPeriodMs?: number;
  /** How long a new key is published before it signs; default 1 hour (the key set is cached for 5 minutes). */
  publishLeadMs?: number;
  /** Kept beyond the longest token lifetime for clock skew between us and verifiers; default 15 minutes. */
  retentionMarginMs?: number;
}

/** Throws CONFIG_INVALID when the URL or the periods cannot work. */
export function createWorkloadTokenIssuer(deps: WorkloadTokenIssuerDeps): WorkloadTokenIssuer {
  const issuer = issuerOf(deps.publicUrl);
  const times: RotationTimes = {
    rotationPeriodMs: deps.rotationPeriodMs ?? 7 * DAY_MS,
    publishLeadMs: deps.publishLeadMs ?? 60 * MINUTE_MS,
    retentionMs: MAX_TTL_SECONDS * 1000 + (deps.retentionMarginMs ?? 15 * MINUTE_MS),
  };
  if (!(times.publishLeadMs >= 0 && times.rotationPeriodMs > times.publishLeadMs)) {
    throw new AppError(
      'CONFIG_INVALID',
      'workload identity: the key rotation period must be longer than the publishing lead',
    );
  }
  // Stored keys never change but by re-encryption, so a decrypted key is good for as long as its row lives.
  const loaded = new Map<string, Promise<CryptoKey>>();

  const loadKey = (stored: StoredSigningKey): Promise<CryptoKey> => {
    let key = loaded.get(stored.kid);
    if (key === undefined) {
      key = signingKeyFrom(deps.cipher, stored);
      key.catch(() => loaded.delete(stored.kid));
      loaded.set(stored.kid, key);
    }
    return key;
  };

  /** A successor when one is due, the deletion of keys whose tokens have all expired, and the keys after. */
  const rotateAt = async (now: number): Promise<KeyRotation & { keys: StoredSigningKey[] }> => {
    let keys = await deps.keys.list();
    let created: string | null = null;
    if (successorDue(keys, now, times)) {
      const successor = await generateSigningKey(deps.cipher, {
        generation: Math.max(0, ...keys.map((key) => key.generation)) + 1,
        createdAt: now,
        notBefore: successorNotBefore(keys, now, times),
      });
      if (await deps.keys.add(successor)) created = successor.kid;
      // Stored or beaten to it by another process: read what won.
      keys = await deps.keys.list();
    }
    const below = deletableBelow(keys, now, times);
    const deleted = below > 0 ? await deps.keys.removeBelow(below) : [];
    if (deleted.length > 0) keys = keys.filter((key) => key.generation >= below);
    for (const kid of loaded.keys()) if (!keys.some((key) => key.kid === kid)) loaded.delete(kid);
    const signing = signingKeyOf(keys, now);
    if (signing === undefined) throw new AppError('STORE_FAILED', 'workload identity: no signing key stored');
    if (created !== null) {
      deps.logger.info(`identity: new workload signing key ${created}`, { kid: created });
    }
    if (deleted.length > 0) {
      deps.logger.info(`identity: deleted retired workload signing keys ${deleted.join(', ')}`);
    }
    return { signingKid: signing.kid, created, deleted, keys };
  };

  return {
    issuer,

    async issue(claims, options) {
      const now = deps.clock.now();
      const payload = workloadPayload(claims, {
        issuer,
        audience: options.audience,
        now,
        ttlSeconds: options.ttlSeconds ?? DEFAULT_TTL_SECONDS,
        jti: randomUUID(),
      });
      const { keys, signingKid } = await rotateAt(now);
      const stored = keys.find((key) => key.kid === signingKid)!;
      const token = await new SignJWT({ ...payload })
        .setProtectedHeader({ alg: stored.alg, kid: stored.kid, typ: 'JWT' })
        .sign(await loadKey(stored));
      return { token, expiresAt: payload.exp * 1000 };
    },

    async jwks() {
      const keys = publishedKeys(await deps.keys.list(), deps.clock.now(), times);
      return { keys: keys.map(publicJwkOf) };
    },

    async rotate(now = deps.clock.now()) {
      const { signingKid, created, deleted } = await rotateAt(now);
      return { signingKid, created, deleted };
    },
  };
}

/** The issuer URL as verifiers compare it: an absolute http(s) URL without a trailing slash, query or fragment. */
function issuerOf(publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `workload identity: the public URL ${publicUrl} is not a URL`, {
      cause,
    });
  }
  if (!['https:', 'http:'].includes(url.protocol) || url.search !== '' || url.hash !== '') {
    throw new AppError(
      'CONFIG_INVALID',
      `workload identity: the public URL ${publicUrl} must be http(s) without a query or fragment`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
