/**
 * The Docker engines builds run on, from DRONE_GOGS_ENGINES_FILE (several engines, TLS or ssh access) or else
 * from DRONE_GOGS_DOCKER_HOST and DRONE_GOGS_RUNNER_CAPACITY (one engine, the local socket by default).
 *
 *   {"engines": [
 *     {"name": "local", "capacity": 2},
 *     {"name": "big", "address": "tcp://10.0.0.5:2376", "capacity": 8,
 *      "tls": {"ca": "certs/ca.pem", "cert": "certs/cert.pem", "key": "certs/key.pem"}, "labels": {"disk": "ssd"}},
 *     {"name": "arm", "address": "ssh://builder@10.0.0.6", "sshIdentityFile": "/etc/drone-gogs/id_ed25519",
 *      "sshHostKeys": ["SHA256:…"], "platform": {"os": "linux", "arch": "arm64"}}
 *   ]}
 *
 * Relative file paths are read from the engines file's folder. `sshHostKeys` pins the host keys an ssh engine may
 * present (fingerprints, or public keys as `keytype base64`); without it the known_hosts file does (ssh-host-keys.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { SshHostKeyPolicy } from '../core/index.ts';
import { publicKeyFingerprint } from './known-hosts.ts';

export interface EngineSetting {
  name: string;
  /** '' = the local socket. */
  address: string;
  capacity: number;
  labels?: Record<string, string>;
  platform?: { os: string; arch: string };
  tls?: { ca: string; cert: string; key: string };
  sshIdentityFile?: string;
  sshAgentSocket?: string;
  sshHostKeys?: SshHostKeyPolicy;
}

/** `SHA256:` and 43 base64 characters, as `ssh-keygen -l` prints it; or a public key line, read as its fingerprint. */
const hostKeyPin = z.string().transform((value, context) => {
  const trimmed = value.trim();
  if (/^SHA256:[A-Za-z0-9+/]{43}$/.test(trimmed)) return trimmed;
  const [keyType = '', key = ''] = trimmed.split(/\s+/);
  const fingerprint = publicKeyFingerprint(keyType, key);
  if (fingerprint !== null) return fingerprint;
  context.addIssue({
    code: 'custom',
    message:
      'expected a host key fingerprint (SHA256:…, from ssh-keygen -lf) or a public key (ssh-ed25519 AAAA…)',
  });
  return z.NEVER;
});

const engineSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a name of letters, digits, . _ -'),
    address: z.string().default(''),
    capacity: z.number().int().min(1).default(2),
    labels: z.record(z.string(), z.string()).optional(),
    platform: z
      .object({ os: z.string().min(1), arch: z.string().min(1) })
      .strict()
      .optional(),
    tls: z
      .object({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) })
      .strict()
      .optional(),
    sshIdentityFile: z.string().min(1).optional(),
    sshHostKeys: z.array(hostKeyPin).min(1, 'list at least one host key').optional(),
  })
  .strict()
  .refine((engine) => engine.sshHostKeys === undefined || engine.address.startsWith('ssh:'), {
    message: 'sshHostKeys is for ssh:// addresses',
    path: ['sshHostKeys'],
  });

const fileSchema = z
  .object({
    engines: z
      .array(engineSchema)
      .min(1, 'list at least one engine')
      .refine((engines) => new Set(engines.map((engine) => engine.name)).size === engines.length, {
        message: 'engine names must be unique',
      }),
  })
  .strict();

/** The engines of the file; problems (unreadable, not JSON, bad fields with their paths) are returned instead. */
export function readEnginesFile(
  path: string,
  sshAgentSocket: string | undefined,
): { engines: EngineSetting[] } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `${path} is not JSON: ${(error as Error).message}` };
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`,
    );
    return { problem: `${path}: ${issues.join('; ')}` };
  }
  const folder = dirname(path);
  const within = (file: string) => resolve(folder, file);
  return {
    engines: parsed.data.engines.map(({ tls, sshIdentityFile, sshHostKeys, ...engine }) => ({
      ...engine,
      ...(sshHostKeys === undefined
        ? {}
        : {
            sshHostKeys: {
              fingerprints: sshHostKeys,
              howToPin: `if the engine's key changed (check on the engine: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), update "sshHostKeys" of engine ${engine.name} in ${path}`,
            },
          }),
      ...(tls === undefined
        ? {}
        : { tls: { ca: within(tls.ca), cert: within(tls.cert), key: within(tls.key) } }),
      ...(sshIdentityFile === undefined ? {} : { sshIdentityFile: within(sshIdentityFile) }),
      ...(sshAgentSocket !== undefined && engine.address.startsWith('ssh:') && sshIdentityFile === undefined
        ? { sshAgentSocket }
        : {}),
    })),
  };
}
