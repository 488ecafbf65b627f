/**
 * OpenSSH known_hosts files, read as `ssh` reads them (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). Pure.
 *
 * A line is `[marker] patterns keytype base64-key [comment]`. Patterns are comma separated, with `*` and `?`
 * wildcards and `!` negation; a port other than 22 is written `[host]:port`; hashed names (`ssh-keyscan -H`,
 * HashKnownHosts) are `|1|salt|hmac-sha1`. `@revoked` keys are never accepted for the hosts they name.
 * `@cert-authority` lines (host certificates) are not supported: they are skipped, like malformed lines.
 */
import { createHmac } from 'node:crypto';
import { sshKeyFingerprint, sshKeyType } from '../core/index.ts';

interface KnownHostLine {
  marker: '' | '@revoked';
  patterns: string;
  fingerprint: string;
}

/** The SHA256 fingerprint of a public key given as `keytype base64`; null when the key does not decode as that type. */
export function publicKeyFingerprint(keyType: string, base64: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const blob = Buffer.from(base64, 'base64');
  return sshKeyType(blob) === keyType ? sshKeyFingerprint(blob) : null;
}

function parseLine(line: string): KnownHostLine | null {
  const fields = line.trim().split(/\s+/);
  const marker = fields[0]?.startsWith('@') ? fields.shift() : '';
  if (marker !== '' && marker !== '@revoked') return null;
  const [patterns, keyType, key] = fields;
  if (patterns === undefined || keyType === undefined || key === undefined) return null;
  const fingerprint = publicKeyFingerprint(keyType, key);
  return fingerprint === null ? null : { marker, patterns, fingerprint };
}

/** The name a host is looked up by: `host` on port 22, `[host]:port` otherwise (as ssh and ssh-keyscan write it). */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** `*` and `?` wildcards, matched by the usual greedy scan with one backtrack point: O(pattern × name). */
function wildcardMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function hashedMatch(entry: string, name: string): boolean {
  const [, salt, hash] = entry.split('|').slice(1);
  if (salt === undefined || hash === undefined) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** ssh's rule: a matching negated pattern excludes the line, else any matching pattern includes it. */
function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const raw of patterns.toLowerCase().split(',')) {
    const negated = raw.startsWith('!');
    if (wildcardMatch(negated ? raw.slice(1) : raw, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The fingerprints of the keys `text` accepts for `host` on `port`, revoked ones left out. */
export function knownHostKeys(text: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const accepted = new Set<string>();
  const revoked = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const entry = parseLine(line);
    if (entry === null || !patternsMatch(entry.patterns, name)) continue;
    (entry.marker === '@revoked' ? revoked : accepted).add(entry.fingerprint);
  }
  return [...accepted].filter((fingerprint) => !revoked.has(fingerprint));
}
