import { createHash } from 'node:crypto';

/**
 * The host keys an `ssh://` Docker engine may present: config/ pins them (a known_hosts file or the engines
 * file's `sshHostKeys`), runner/ refuses any other key before it authenticates or sends a request.
 */
export interface SshHostKeyPins {
  /** SHA256 fingerprints as `ssh-keygen -l` prints them: `SHA256:` and unpadded base64. Empty: refuse every key. */
  fingerprints: readonly string[];
  /** What to do about a key that is not among them (where and how to pin it); ends the refusal's message. */
  howToPin: string;
}

/** Host key checking of one ssh engine: pinned keys, or `'any'` when an INSECURE_ switch turned checking off. */
export type SshHostKeyPolicy = SshHostKeyPins | 'any';

/** `SHA256:…` of a public key in the ssh wire format (the base64 field of a known_hosts or `.pub` line, decoded). */
export function sshKeyFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a wire-format public key names (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …); '' when malformed. */
export function sshKeyType(blob: Uint8Array): string {
  if (blob.length < 4) return '';
  const length = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return '';
  return Buffer.from(blob.subarray(4, 4 + length)).toString('latin1');
}
