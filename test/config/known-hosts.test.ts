import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownHostKeys, publicKeyFingerprint } from '../../sidecar/config/known-hosts.ts';
import { makeSshKey, type SshKey } from '../support/sshd.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);

describe('known_hosts, read as ssh reads it', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let a: SshKey;
  let b: SshKey;
  let c: SshKey;
  beforeAll(async () => {
    dir = await makeTempDir();
    [a, b, c] = await Promise.all([
      makeSshKey(dir.path, 'a'),
      makeSshKey(dir.path, 'b'),
      makeSshKey(dir.path, 'c', 'ecdsa'),
    ]);
  });
  afterAll(async () => {
    await dir?.remove();
  });

  it('computes the fingerprints ssh-keygen prints, and refuses keys that are not of their type', () => {
    expect(publicKeyFingerprint(...(a.publicKey.split(' ') as [string, string]))).toBe(a.fingerprint);
    expect(publicKeyFingerprint(...(c.publicKey.split(' ') as [string, string]))).toBe(c.fingerprint);
    expect(publicKeyFingerprint('ssh-rsa', a.publicKey.split(' ')[1] ?? '')).toBeNull();
    expect(publicKeyFingerprint('ssh-ed25519', 'not base64!')).toBeNull();
  });

  it('finds a host by name, address, [host]:port, wildcards and negation; skips what it cannot use', () => {
    const text = [
      '# build hosts',
      `build-1.example,10.0.0.5 ${a.publicKey} a comment`,
      `[build-2.example]:2222 ${b.publicKey}`,
      `*.arm.example,!bad.arm.example ${c.publicKey}`,
      `Build-3.Example ${a.publicKey}`,
      `build-?.cluster ${b.publicKey}`,
      `@cert-authority *.example ${a.publicKey}`,
      'garbage line',
      `build-4.example ssh-rsa ${a.publicKey.split(' ')[1]}`,
      '',
    ].join('\n');
    const cases: [string, number, SshKey[]][] = [
      ['build-1.example', 22, [a]],
      ['10.0.0.5', 22, [a]],
      ['build-1.example', 2222, []],
      ['build-2.example', 2222, [b]],
      ['build-2.example', 22, []],
      ['x.arm.example', 22, [c]],
      ['bad.arm.example', 22, []],
      ['arm.example', 22, []],
      ['build-3.example', 22, [a]],
      ['build-7.cluster', 22, [b]],
      ['build-17.cluster', 22, []],
      ['build-4.example', 22, []],
      ['other.example', 22, []],
    ];
    for (const [host, port, keys] of cases) {
      expect([host, port, knownHostKeys(text, host, port)]).toEqual([
        host,
        port,
        keys.map((key) => key.fingerprint),
      ]);
    }
  });

  it('reads the hashed names of ssh-keygen -H and ssh-keyscan -H', async () => {
    const file = join(dir.path, 'known_hosts');
    await writeFile(file, `build-1.example ${a.publicKey}\n[build-2.example]:2222 ${b.publicKey}\n`);
    await run('ssh-keygen', ['-q', '-H', '-f', file]);
    const hashed = await readFile(file, 'utf8');
    expect(hashed).not.toContain('build-');
    expect(hashed.match(/^\|1\|/gm)).toHaveLength(2);
    expect(knownHostKeys(hashed, 'build-1.example', 22)).toEqual([a.fingerprint]);
    expect(knownHostKeys(hashed, 'build-2.example', 2222)).toEqual([b.fingerprint]);
    expect(knownHostKeys(hashed, 'build-2.example', 22)).toEqual([]);
  });

  it('never accepts a revoked key, whichever line lists it', () => {
    const text = `build-1.example ${a.publicKey}\nbuild-1.example ${b.publicKey}\n@revoked * ${b.publicKey}\n`;
    expect(knownHostKeys(text, 'build-1.example', 22)).toEqual([a.fingerprint]);
    // A key revoked for another host only.
    const elsewhere = `@revoked other.example ${b.publicKey}\nbuild-1.example ${b.publicKey}\n`;
    expect(knownHostKeys(elsewhere, 'build-1.example', 22)).toEqual([b.fingerprint]);
  });
});
