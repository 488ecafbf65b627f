import { z } from 'zod';

/**
 * Every setting of the sidecar, read from DRONE_GOGS_* environment variables. Fields marked `secret` are
 * never printed. The `env` key of each entry is the variable's name without the prefix.
 */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8080')
  .refine((value) => {
    const port = Number(value.slice(value.lastIndexOf(':') + 1));
    return port >= 0 && port <= 65535;
  }, 'port must be 0-65535');

const httpUrl = z
  .string()
  .url('expected an absolute URL, e.g. https://git.example.com/')
  .refine((value) => /^https?:\/\//.test(value), 'expected an http:// or https:// URL');

const databaseUrl = z.string().refine((value) => /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/.test(value), {
  message: 'expected file:PATH, libsql://HOST or http(s)://HOST',
});

const positiveInt = z.coerce.number().int('expected a whole number').min(0, 'expected 0 or more');

/** A byte size as Docker writes it: `512m`, `2g`, `1.5g`, or plain bytes; `0` = no limit. */
const byteSize = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*([kmg]i?b?|b)?$/i, 'expected a size such as 512m, 2g or 1048576')
  .transform((value) => {
    const match = /^([\d.]+)\s*([kmg]?)/i.exec(value) as RegExpExecArray;
    const power = { '': 0, k: 1, m: 2, g: 3 }[(match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
    return Math.round(Number(match[1]) * 1024 ** power);
  });

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const settings = {
  listen: { env: 'LISTEN', schema: hostPort.default('127.0.0.1:8080') },
  dataDir: { env: 'DATA_DIR', schema: z.string().min(1).default('./data') },
  databaseUrl: { env: 'DATABASE_URL', schema: databaseUrl.optional() },
  databaseAuthToken: { env: 'DATABASE_AUTH_TOKEN', schema: z.string().min(1).optional(), secret: true },
  /**
   * `normal` (WAL): a commit survives the process dying at any moment; a power cut may drop the last few,
   * which reconciliation finds again on Gogs. `full` fsyncs every commit, at several times the cost.
   */
  databaseSync: { env: 'DATABASE_SYNC', schema: z.enum(['full', 'normal']).default('normal') },
  gogsUrl: { env: 'GOGS_URL', schema: httpUrl.optional() },
  gogsToken: {
    env: 'GOGS_TOKEN',
    schema: z.string().regex(/^\S+$/, 'expected a Gogs access token without spaces').optional(),
    secret: true,
  },
  /** Where the token lives when DRONE_GOGS_GOGS_TOKEN is not set; `rotate gogs-token` replaces it. */
  gogsTokenFile: { env: 'GOGS_TOKEN_FILE', schema: z.string().min(1).optional() },
  publicUrl: { env: 'PUBLIC_URL', schema: httpUrl.optional() },
  hookUrl: { env: 'HOOK_URL', schema: httpUrl.optional() },
  secretKey: {
    env: 'SECRET_KEY',
    schema: z
      .string()
      .refine((value) => decodeKey(value) !== null, 'expected 32 bytes as 64 hex characters or base64')
      .optional(),
    secret: true,
  },
  /**
   * Retired secret keys, comma-separated, that still decrypt values encrypted before DRONE_GOGS_SECRET_KEY was
   * rotated (`drone-gogs rotate secret-key --help`); new values are never encrypted with them.
   */
  secretKeysRetired: {
    env: 'SECRET_KEYS_RETIRED',
    schema: z
      .string()
      .refine(
        (value) => value.split(',').every((key) => decodeKey(key) !== null),
        'expected keys of 32 bytes (64 hex characters or base64), separated by commas',
      )
      .optional(),
    secret: true,
  },
  hookMaxBytes: {
    env: 'HOOK_MAX_BYTES',
    schema: positiveInt.min(1024, 'expected at least 1024').default(2 * 1024 * 1024),
  },
  /** A /hook body must arrive within this after its headers (Gogs itself gives up after 15 s). */
  hookBodyTimeoutSeconds: {
    env: 'HOOK_BODY_TIMEOUT_SECONDS',
    schema: positiveInt.min(1, 'expected at least 1').default(15),
  },
  hookSecretGraceSeconds: { env: 'HOOK_SECRET_GRACE_SECONDS', schema: positiveInt.default(3600) },
  /** Every request's line and headers must arrive within this; a slow client is answered 408. */
  httpHeadersTimeoutSeconds: {
    env: 'HTTP_HEADERS_TIMEOUT_SECONDS',
    schema: positiveInt.min(1, 'expected at least 1').max(300, 'expected at most 300').default(15),
  },
  /** An idle keep-alive connection is closed after this. */
  httpKeepAliveTimeoutSeconds: {
    env: 'HTTP_KEEPALIVE_TIMEOUT_SECONDS',
    schema: positiveInt.min(1, 'expected at least 1').default(5),
  },
  reconcileIntervalSeconds: { env: 'RECONCILE_INTERVAL_SECONDS', schema: positiveInt.default(300) },
  reconcileGraceSeconds: { env: 'RECONCILE_GRACE_SECONDS', schema: positiveInt.default(60) },
  gogsTimeoutSeconds: {
    env: 'GOGS_TIMEOUT_SECONDS',
    schema: positiveInt.min(1, 'expected at least 1').default(10),
  },
  /** Gogs logins of CI admins, comma-separated (Gogs' API does not say who is a site admin). */
  admins: {
    env: 'ADMINS',
    schema: z
      .string()
      .default('')
      .refine(
        (value) => value.split(',').every((login) => /^[A-Za-z0-9_.-]{0,35}$/.test(login.trim())),
        'expected Gogs logins separated by commas',
      ),
  },
  /** How long rights read from Gogs are trusted before they are read again (changes read them within a minute). */
  permissionTtlSeconds: {
    env: 'PERMISSION_TTL_SECONDS',
    schema: positiveInt.min(1, 'expected at least 1').default(900),
  },
  logFormat: { env: 'LOG_FORMAT', schema: z.enum(['text', 'json']).default('text') },
  logLevel: { env: 'LOG_LEVEL', schema: z.enum(['debug', 'info', 'warn', 'error']).default('info') },
  /** The Docker engine builds run on: '' = the local socket; `unix:///path`, `tcp://host:port`, `ssh://user@host`. */
  dockerHost: { env: 'DOCKER_HOST', schema: z.string().default('') },
  /** Stages that run at once on that engine. */
  runnerCapacity: {
    env: 'RUNNER_CAPACITY',
    schema: positiveInt.min(1, 'expected at least 1').default(2),
  },
  /** A JSON file listing several engines (with TLS or ssh access); replaces DOCKER_HOST and RUNNER_CAPACITY. */
  enginesFile: { env: 'ENGINES_FILE', schema: z.string().min(1).optional() },
  /** The known_hosts file pinning the host keys of ssh:// engines (default ~/.ssh/known_hosts). */
  sshKnownHosts: { env: 'SSH_KNOWN_HOSTS', schema: z.string().min(1).optional() },
  /** Connect to ssh:// engines whatever host key they present: whoever sits in between gets the engine. */
  insecureSshAcceptAnyHostKey: { env: 'INSECURE_SSH_ACCEPT_ANY_HOST_KEY', schema: bool.default(false) },
  /** Memory of a step container that sets no `mem_limit`. */
  stepMemoryLimit: { env: 'STEP_MEMORY_LIMIT', schema: byteSize.prefault('2g') },
  stepCpus: {
    env: 'STEP_CPUS',
    schema: z.coerce.number({ message: 'expected a number of CPUs, e.g. 1.5' }).min(0).default(2),
  },
  stepPidsLimit: { env: 'STEP_PIDS_LIMIT', schema: positiveInt.default(4096) },
  /** Output kept per step; the log then ends with a line saying it was truncated. */
  stepLogLimit: { env: 'STEP_LOG_LIMIT', schema: byteSize.prefault('10m') },
  /** A stage running longer is killed; a repository may set its own (`repo set --timeout`). */
  stageTimeoutMinutes: {
    env: 'STAGE_TIMEOUT_MINUTES',
    schema: positiveInt.min(1, 'expected at least 1').default(60),
  },
  /**
   * On SIGTERM, how long running stages may finish before the sidecar stops following them and leaves them
   * running for recovery (this or another sidecar re-attaches); 0 leaves them at once.
   */
  stopDeadlineSeconds: {
    env: 'STOP_DEADLINE_SECONDS',
    schema: positiveInt.max(86_400, 'expected at most 86400 (a day)').default(30),
  },
  /**
   * Days that step logs and change-feed entries are kept; older ones are deleted (builds stay). 0 keeps them
   * forever. 90 as GitHub Actions keeps logs: long enough to look back over a release, bounded on a busy box.
   */
  logRetentionDays: {
    env: 'LOG_RETENTION_DAYS',
    schema: positiveInt.max(36_500, 'expected at most 36500 (100 years), or 0 to keep forever').default(90),
  },
  /** Accept webhooks over plain http from non-loopback hook URLs without a warning at every start. */
  insecureAllowHttpHooks: { env: 'INSECURE_ALLOW_HTTP_HOOKS', schema: bool.default(false) },
} as const;

export const ENV_PREFIX = 'DRONE_GOGS_';

export type SettingName = keyof typeof settings;

type SettingValue<K extends SettingName> = z.output<(typeof settings)[K]['schema']>;

export type RawSettings = { [K in SettingName]: SettingValue<K> };

/** Decodes a 32-byte key given as 64 hex characters or base64; null when it is neither. */
export function decodeKey(value: string): Buffer | null {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === 32) return key;
  }
  return null;
}
