/**
 * The Gogs admin token: DRONE_GOGS_GOGS_TOKEN, or else the token file (DRONE_GOGS_GOGS_TOKEN_FILE, default
 * `<data dir>/gogs.token`). Every Gogs call and git credential reads it through one provider, which follows a
 * file that `drone-gogs rotate gogs-token` replaced, so a running sidecar needs no restart.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const GOGS_TOKEN_FILE = 'gogs.token';

/** Where the sidecar's Gogs token comes from, as the configuration says at start. */
export type GogsTokenSetting =
  /** DRONE_GOGS_GOGS_TOKEN, which wins over the file; `fileIgnored` when a token file exists beside it. */
  | { from: 'environment'; value: string; file: string; fileIgnored: boolean }
  /** The token file; `present` when it held a token at start, `readableByOthers` when its mode lets them. */
  | { from: 'file'; file: string; present: boolean; readableByOthers: boolean };

/** The token in force now; undefined while there has never been one. */
export type GogsTokenProvider = () => string | undefined;

/** What is wrong with a token's text (never echoing it), or null. */
export function gogsTokenProblem(text: string): string | null {
  if (text === '') return 'it is empty';
  if (!/^\S+$/.test(text)) return 'it holds spaces or line breaks: expected one Gogs access token';
  return null;
}

/** The token of a file's text: one line, its line ending dropped. */
function tokenOf(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * The token file as loadConfig sees it at start: absent (no token yet), a problem (unreadable, or not one
 * token), or present. Never returns the token itself.
 */
export function inspectGogsTokenFile(
  file: string,
): { present: false } | { problem: string } | { present: true; readableByOthers: boolean } {
  let text: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { present: false };
    return { problem: `cannot read the token file ${file} (${code ?? 'unreadable'}); fix its owner or mode` };
  }
  const problem = gogsTokenProblem(tokenOf(text));
  if (problem !== null) {
    return {
      problem: `the token file ${file} is not usable: ${problem}; write the token alone into it (\`drone-gogs rotate gogs-token --token-file -\`), or delete it`,
    };
  }
  return { present: true, readableByOthers: (mode & 0o077) !== 0 };
}

/**
 * The provider every Gogs call and git credential goes through. With the variable it returns that; with the file
 * it checks the file's identity (inode, size, change times) on every call, which costs one stat, and reads it
 * again only when that changed. A file that is gone or broken keeps the last good token and is reported once
 * through `warn` (never with the token).
 */
export function createGogsTokenProvider(
  setting: GogsTokenSetting,
  warn: (message: string) => void,
): GogsTokenProvider {
  if (setting.from === 'environment') return () => setting.value;
  const { file } = setting;
  let token: string | undefined;
  let seen = '';
  return () => {
    let identity: string;
    try {
      const stat = statSync(file, { bigint: true });
      identity = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
    } catch (error) {
      identity = `missing:${(error as NodeJS.ErrnoException).code ?? ''}`;
    }
    if (identity === seen) return token;
    seen = identity;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      if (token !== undefined || code !== 'ENOENT')
        warn(`config: cannot read the Gogs token file ${file} (${code}); ${keeping(token)}`);
      return token;
    }
    const read = tokenOf(text);
    const problem = gogsTokenProblem(read);
    if (problem !== null) {
      warn(`config: the Gogs token file ${file} is not usable (${problem}); ${keeping(token)}`);
      return token;
    }
    token = read;
    return token;
  };
}

function keeping(token: string | undefined): string {
  return token === undefined
    ? 'there is no Gogs token until it holds one'
    : 'still using the token read from it before';
}

/**
 * Replaces the token file atomically: the token goes into a temporary file (mode 0600) beside it, flushed, then
 * renamed over the old one, so a reader sees the old token or the new one, never half of one.
 */
export async function writeGogsTokenFile(file: string, token: string): Promise<void> {
  const problem = gogsTokenProblem(token);
  if (problem !== null) throw new Error(`refusing to write a Gogs token: ${problem}`);
  const directory = dirname(file);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = join(
    directory,
    `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(`${token}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const parent = await open(directory, 'r').catch(() => null);
  await parent?.sync().catch(() => {});
  await parent?.close();
}
