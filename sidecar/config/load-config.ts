import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError } from '../core/index.ts';
import { type EngineSetting, readEnginesFile } from './engines-file.ts';
import { GOGS_TOKEN_FILE, type GogsTokenSetting, inspectGogsTokenFile } from './gogs-token.ts';
import { decodeKey, ENV_PREFIX, type RawSettings, type SettingName, settings } from './schema.ts';
import { pinSshHostKeys } from './ssh-host-keys.ts';

export interface Config {
  listen: { host: string; port: number };
  dataDir: string;
  database: { url: string; authToken: string | undefined; sync: 'full' | 'normal'; isLocalFile: boolean };
  gogs: {
    url: string | undefined;
    /** Where the admin token comes from; read it through createGogsTokenProvider, which follows a rotated file. */
    token: GogsTokenSetting;
    timeoutMs: number;
  };
  publicUrl: string;
  hookUrl: string;
  /** null when no key was configured: ensureSecretKey() then provides one from the data dir. */
  secretKey: Buffer | null;
  /** DRONE_GOGS_SECRET_KEYS_RETIRED: keys that only decrypt, kept while values they encrypted remain. */
  secretKeysRetired: Buffer[];
  hooks: { maxBytes: number; bodyTimeoutMs: number; secretGraceMs: number; insecureAllowHttp: boolean };
  /** Limits of every HTTP connection; bodies have deadlines per route (`hooks.bodyTimeoutMs`). */
  http: { headersTimeoutMs: number; keepAliveTimeoutMs: number };
  reconcile: { intervalMs: number; graceMs: number };
  /** How long step logs and change-feed entries are kept (DRONE_GOGS_LOG_RETENTION_DAYS); 0 = forever. */
  retention: { logsMs: number };
  log: { format: 'text' | 'json'; level: 'debug' | 'info' | 'warn' | 'error' };
  /** Gogs logins of CI admins, lower case. */
  admins: ReadonlySet<string>;
  /** How long rights read from Gogs are trusted (DRONE_GOGS_PERMISSION_TTL_SECONDS). */
  permissionTtlMs: number;
  runner: {
    engines: EngineSetting[];
    /** Where the engines came from, when a file listed them. */
    enginesFile: string | undefined;
    /** Defaults of every step container; 0 = no limit. */
    step: { memoryBytes: number; cpus: number; pidsLimit: number; logLimitBytes: number };
    /** For repositories without a timeout of their own. */
    stageTimeoutMs: number;
    /** On stop, how long running stages may finish before they are left to recovery. */
    stopDeadlineMs: number;
    /** DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY: ssh:// engines are not checked against pinned host keys. */
    sshAcceptAnyHostKey: boolean;
  };
}

/**
 * Reads every DRONE_GOGS_* variable, validates all of them and reports every bad one at once
 * (AppError CONFIG_INVALID, details.problems). Values of secret settings never appear in messages.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string): Config {
  const raw: Partial<Record<SettingName, unknown>> = {};
  const problems: string[] = [];
  for (const [name, setting] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const variable = ENV_PREFIX + setting.env;
    const given = env[variable];
    const value = given === undefined || given === '' ? undefined : given;
    const parsed = setting.schema.safeParse(value);
    if (parsed.success) raw[name] = parsed.data;
    else problems.push(`${variable}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  const known = new Set(Object.values(settings).map((setting) => ENV_PREFIX + setting.env));
  for (const variable of Object.keys(env)) {
    if (variable.startsWith(ENV_PREFIX) && !known.has(variable)) {
      problems.push(`${variable}: unknown setting (known: ${[...known].sort().join(', ')})`);
    }
  }
  let engines: EngineSetting[] | undefined;
  if (typeof raw.enginesFile === 'string') {
    const read = readEnginesFile(resolve(cwd, raw.enginesFile), env.SSH_AUTH_SOCK);
    if ('problem' in read) problems.push(`${ENV_PREFIX}${settings.enginesFile.env}: ${read.problem}`);
    else engines = read.engines;
  }
  const pinned = pinSshHostKeys(engines ?? [localEngine(raw as RawSettings, env.SSH_AUTH_SOCK)], {
    knownHosts:
      typeof raw.sshKnownHosts === 'string'
        ? { path: resolve(cwd, raw.sshKnownHosts), explicit: true }
        : { path: join(env.HOME || homedir(), '.ssh', 'known_hosts'), explicit: false },
    acceptAnyHostKey: raw.insecureSshAcceptAnyHostKey === true,
    enginesFile: engines === undefined ? undefined : resolve(cwd, raw.enginesFile as string),
  });
  if (pinned.problem !== null) problems.push(`${ENV_PREFIX}${settings.sshKnownHosts.env}: ${pinned.problem}`);
  const gogsToken = gogsTokenSettingOf(raw as RawSettings, cwd);
  if ('problem' in gogsToken)
    problems.push(`${ENV_PREFIX}${settings.gogsTokenFile.env}: ${gogsToken.problem}`);
  if (problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  return resolveConfig(raw as RawSettings, cwd, pinned.engines, gogsToken as GogsTokenSetting);
}

/** The variable when set (it wins), else the token file, checked now; the token itself stays out of messages. */
function gogsTokenSettingOf(raw: RawSettings, cwd: string): GogsTokenSetting | { problem: string } {
  const file = resolve(cwd, raw.gogsTokenFile ?? join(dataDirOf(raw, cwd), GOGS_TOKEN_FILE));
  const inspected = inspectGogsTokenFile(file);
  if (raw.gogsToken !== undefined) {
    const fileExists = 'problem' in inspected || inspected.present;
    return { from: 'environment', value: raw.gogsToken, file, fileIgnored: fileExists };
  }
  if ('problem' in inspected) return inspected;
  return {
    from: 'file',
    file,
    present: inspected.present,
    readableByOthers: inspected.present && inspected.readableByOthers,
  };
}

function dataDirOf(raw: RawSettings, cwd: string): string {
  return isAbsolute(raw.dataDir) ? raw.dataDir : resolve(cwd, raw.dataDir);
}

function localEngine(raw: RawSettings, sshAgentSocket: string | undefined): EngineSetting {
  const engine = { name: 'local', address: raw.dockerHost, capacity: raw.runnerCapacity };
  return raw.dockerHost.startsWith('ssh:') && sshAgentSocket !== undefined
    ? { ...engine, sshAgentSocket }
    : engine;
}

function resolveConfig(
  raw: RawSettings,
  cwd: string,
  engines: EngineSetting[],
  gogsToken: GogsTokenSetting,
): Config {
  const separator = raw.listen.lastIndexOf(':');
  const host = raw.listen.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number(raw.listen.slice(separator + 1));
  const dataDir = dataDirOf(raw, cwd);
  const databaseUrl = raw.databaseUrl ?? pathToFileURL(join(dataDir, 'drone-gogs.db')).href;
  const publicUrl = stripTrailingSlash(raw.publicUrl ?? `http://${raw.listen}`);
  return {
    listen: { host, port },
    dataDir,
    database: {
      url: databaseUrl,
      authToken: raw.databaseAuthToken,
      sync: raw.databaseSync,
      isLocalFile: databaseUrl.startsWith('file:'),
    },
    gogs: {
      url: raw.gogsUrl === undefined ? undefined : withTrailingSlash(raw.gogsUrl),
      token: gogsToken,
      timeoutMs: raw.gogsTimeoutSeconds * 1000,
    },
    publicUrl,
    hookUrl: raw.hookUrl ?? `${publicUrl}/hook`,
    secretKey: raw.secretKey === undefined ? null : decodeKey(raw.secretKey),
    secretKeysRetired: (raw.secretKeysRetired ?? '')
      .split(',')
      .filter((key) => key.trim() !== '')
      .map((key) => decodeKey(key) as Buffer),
    hooks: {
      maxBytes: raw.hookMaxBytes,
      bodyTimeoutMs: raw.hookBodyTimeoutSeconds * 1000,
      secretGraceMs: raw.hookSecretGraceSeconds * 1000,
      insecureAllowHttp: raw.insecureAllowHttpHooks,
    },
    http: {
      headersTimeoutMs: raw.httpHeadersTimeoutSeconds * 1000,
      keepAliveTimeoutMs: raw.httpKeepAliveTimeoutSeconds * 1000,
    },
    reconcile: { intervalMs: raw.reconcileIntervalSeconds * 1000, graceMs: raw.reconcileGraceSeconds * 1000 },
    retention: { logsMs: raw.logRetentionDays * 24 * 60 * 60_000 },
    log: { format: raw.logFormat, level: raw.logLevel },
    admins: new Set(
      raw.admins
        .split(',')
        .map((login) => login.trim().toLowerCase())
        .filter((login) => login !== ''),
    ),
    permissionTtlMs: raw.permissionTtlSeconds * 1000,
    runner: {
      engines,
      enginesFile: raw.enginesFile === undefined ? undefined : resolve(cwd, raw.enginesFile),
      step: {
        memoryBytes: raw.stepMemoryLimit,
        cpus: raw.stepCpus,
        pidsLimit: raw.stepPidsLimit,
        logLimitBytes: raw.stepLogLimit,
      },
      stageTimeoutMs: raw.stageTimeoutMinutes * 60_000,
      stopDeadlineMs: raw.stopDeadlineSeconds * 1000,
      sshAcceptAnyHostKey: raw.insecureSshAcceptAnyHostKey,
    },
  };
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
