import type { GogsTokenSetting } from './gogs-token.ts';
import type { Config } from './load-config.ts';

/** What the sidecar uses, one line each, for `serve` to print at start. Secrets are shown as set/unset only. */
export function describeConfig(config: Config): string[] {
  const database = config.database.isLocalFile ? config.database.url : redactUrl(config.database.url);
  return [
    `listening on http://${formatHost(config.listen.host)}:${config.listen.port}`,
    `data dir: ${config.dataDir}`,
    `database: ${database} (sync ${config.database.sync}${config.database.authToken ? ', auth token set' : ''})`,
    `gogs: ${config.gogs.url ?? 'not configured (set DRONE_GOGS_GOGS_URL and DRONE_GOGS_GOGS_TOKEN to manage hooks)'}${
      config.gogs.url ? `, ${describeGogsToken(config.gogs.token)}` : ''
    }`,
    `public url: ${config.publicUrl}`,
    `hook url (Gogs calls this): ${config.hookUrl}`,
    ...config.runner.engines.map(
      (engine) =>
        `docker engine ${engine.name}: ${engine.address === '' ? 'the local socket' : redactUrl(engine.address)}, ${engine.capacity} stage(s) at once`,
    ),
  ];
}

function describeGogsToken(token: GogsTokenSetting): string {
  if (token.from === 'environment') {
    return token.fileIgnored
      ? `token set from DRONE_GOGS_GOGS_TOKEN, which wins: the token file ${token.file} is ignored while it is set`
      : 'token set from DRONE_GOGS_GOGS_TOKEN';
  }
  if (!token.present)
    return `token not set (put it in ${token.file}, mode 0600, or set DRONE_GOGS_GOGS_TOKEN)`;
  return `token set from the file ${token.file}${
    token.readableByOthers ? ' (readable by other users: chmod 600 it)' : ''
  }, followed when it changes`;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.searchParams.forEach((_, key) => {
      parsed.searchParams.set(key, '***');
    });
    return parsed.href;
  } catch {
    return '(unparseable url)';
  }
}
