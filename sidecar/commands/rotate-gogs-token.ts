/**
 * `drone-gogs rotate gogs-token`: checks a new Gogs token against Gogs, then replaces the token file, which a
 * running `serve` follows from its next call. Gogs has no API to delete the old token: the admin does that.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import {
  createGogsTokenProvider,
  gogsTokenProblem,
  loadConfig,
  writeGogsTokenFile,
} from '../config/index.ts';
import {
  type AuditDecision,
  type AuditDetail,
  type GogsClient,
  isAppError,
  LOCAL_ADMIN,
} from '../core/index.ts';
import { createGogsClient } from '../gogs/index.ts';
import type { CommandIO } from './command-io.ts';
import type { ValueInput } from './secret.ts';
import { terminalText } from './terminal-text.ts';
import { withServices } from './with-services.ts';

/** Enabled repositories checked for the new token's admin rights; more are sampled, spread over the list. */
const SAMPLED_REPOSITORIES = 20;
/** A Gogs token is 40 hex characters; anything much longer is not one. */
const READ_LIMIT = 4096;

export const ROTATE_GOGS_TOKEN_HELP = `  --token-file F        read the new token from F, or from standard input with \`-\`; a token is never
                        taken on the command line, where it would stay in the shell history and show in \`ps\`
  --allow-other-user    accept a token of another Gogs user than the current token's. The webhooks and the
                        enabled repositories were set up with the current user's rights; the other user
                        then reads pipeline files, clones and manages the hooks, so must be an admin of
                        every enabled repository (a sample is checked)

  The new token is checked with GET /user on Gogs and on the enabled repositories (it must have admin rights,
  which managing webhooks needs); only then is the token file (DRONE_GOGS_GOGS_TOKEN_FILE, default
  <data dir>/gogs.token) replaced atomically, mode 0600. A running \`drone-gogs serve\` uses the new token from
  its next call to Gogs, for the API and for git. Then delete the old token in Gogs
  (Your Settings -> Applications): Gogs has no API for that. With DRONE_GOGS_GOGS_TOKEN set this refuses:
  change the variable instead, or unset it and keep the token in the file.
`;

export interface RotateGogsTokenInput {
  /** A path, or `-` for standard input. */
  tokenFile: string;
  allowOtherUser: boolean;
}

/** Runs the rotation; returns the exit code (1 for a refusal, which says what to do and changes nothing). */
export async function rotateGogsToken(
  input: RotateGogsTokenInput,
  io: CommandIO,
  stdin: ValueInput,
): Promise<number> {
  const refuse = (message: string) => {
    io.stderr(`drone-gogs: ${message}\n`);
    return 1;
  };
  const config = loadConfig(io.env, io.cwd);
  const setting = config.gogs.token;
  if (setting.from === 'environment') {
    return refuse(
      `the Gogs token comes from DRONE_GOGS_GOGS_TOKEN, which this command cannot change: set the variable to the new token and restart the sidecar, or unset it and let this command keep the token in ${setting.file} (a running sidecar then follows the file without a restart); nothing was changed`,
    );
  }
  if (config.gogs.url === undefined) {
    return refuse(
      'set DRONE_GOGS_GOGS_URL first: the new token is checked against Gogs; nothing was changed',
    );
  }
  const read = await readNewToken(input.tokenFile, io, stdin);
  if ('problem' in read) return refuse(`${read.problem}; the token file is unchanged`);
  const current = createGogsTokenProvider(setting, () => {})();
  if (read.token === current) {
    return refuse(
      `that is the token already in ${setting.file}; create a new one in Gogs (Your Settings -> Applications) and give that`,
    );
  }
  return withServices(io, async (services) => {
    const audit = (decision: AuditDecision, detail: AuditDetail) =>
      services.audit.record({
        actor: LOCAL_ADMIN,
        action: 'gogs-token.rotate',
        target: `gogs token file ${setting.file}`,
        decision,
        detail,
      });
    const candidate = createGogsClient({
      baseUrl: config.gogs.url as string,
      token: read.token,
      timeoutMs: config.gogs.timeoutMs,
    });
    const newUser = await candidate.currentUser().catch((error: unknown) => {
      if (isAppError(error, 'GOGS_UNAUTHORIZED')) return null;
      throw error;
    });
    if (newUser === null) {
      await audit('deny', { reason: 'new token refused by Gogs' });
      return refuse(
        `Gogs did not accept the new token (GET /user answered 401): check that it was copied whole and not deleted in Gogs; the token file ${setting.file} is unchanged`,
      );
    }
    const oldUser =
      services.gogs === null
        ? null
        : await services.gogs.currentUser().then(
            (user) => user.username,
            (error: unknown) => {
              if (isAppError(error, 'GOGS_UNAUTHORIZED')) return undefined;
              throw error;
            },
          );
    const newName = newUser.username;
    if (!input.allowOtherUser) {
      if (oldUser === undefined) {
        await audit('deny', { reason: 'current token refused by Gogs', gogsUser: newName });
        return refuse(
          `the current token no longer works (Gogs answered 401), so the new token's user ${newName} cannot be compared with the current one's: if ${newName} is the user who enabled the repositories, run again with --allow-other-user; the token file ${setting.file} is unchanged`,
        );
      }
      if (oldUser !== null && oldUser.toLowerCase() !== newName.toLowerCase()) {
        await audit('deny', {
          reason: 'token of another Gogs user',
          gogsUser: newName,
          previousGogsUser: oldUser,
        });
        return refuse(
          `the new token belongs to Gogs user ${newName}, the current one to ${oldUser}, who enabled the webhooks and repositories: give a token of ${oldUser}, or run again with --allow-other-user if ${newName} is to take over (see --help); the token file ${setting.file} is unchanged`,
        );
      }
    }
    const enabled = (await services.repos.list(LOCAL_ADMIN)).filter((repo) => repo.active);
    const sample = spreadSample(
      enabled.map((repo) => repo.fullName),
      SAMPLED_REPOSITORIES,
    );
    const lacking = await reposWithoutAdmin(candidate, sample);
    // Where the current token lacks admin rights too, the new one changes nothing: that is reported, not refused.
    const alreadyLacking =
      services.gogs && oldUser !== undefined && lacking.length > 0
        ? new Set(await reposWithoutAdmin(services.gogs, lacking))
        : new Set<string>();
    const newlyLacking = lacking.filter((repo) => !alreadyLacking.has(repo));
    const checked = `${sample.length} of ${enabled.length} enabled repositor${enabled.length === 1 ? 'y' : 'ies'}`;
    if (newlyLacking.length > 0) {
      await audit('deny', {
        reason: 'new token lacks admin rights',
        gogsUser: newName,
        repositories: newlyLacking.join(', '),
      });
      return refuse(
        `Gogs user ${newName} is not an admin of ${newlyLacking.join(', ')} (checked ${checked}); managing their webhooks needs admin rights: give ${newName} admin rights there in Gogs, or \`drone-gogs repo disable\` them, then run again; the token file ${setting.file} is unchanged`,
      );
    }
    await writeGogsTokenFile(setting.file, read.token);
    await audit('allow', {
      gogsUser: newName,
      previousGogsUser: oldUser === null ? '(no token before)' : (oldUser ?? '(its token was refused)'),
      otherUser: oldUser !== null && oldUser !== undefined && oldUser.toLowerCase() !== newName.toLowerCase(),
      checkedRepositories: sample.length,
    });
    io.stdout(
      `the Gogs token in ${setting.file} is now a token of ${newName} (checked GET /user and ${checked})\n`,
    );
    if (alreadyLacking.size > 0) {
      io.stdout(
        `note: neither the old nor the new token has admin rights on ${[...alreadyLacking].join(', ')}; their webhooks cannot be managed until ${newName} gets them\n`,
      );
    }
    io.stdout(
      services.gogs === null
        ? 'a `drone-gogs serve` that started without a Gogs token needs a restart to use it; one started later reads it\n'
        : 'a running `drone-gogs serve` uses it from its next call to Gogs, for the API and for git; no restart needed\n',
    );
    const applications = `${config.gogs.url}user/settings/applications (Your Settings -> Applications)`;
    if (typeof oldUser === 'string') {
      io.stdout(
        `now delete the old token in Gogs: sign in as ${oldUser}, open ${applications} and delete it there; Gogs has no API for that, and until then the old token still works\n`,
      );
    } else if (oldUser === undefined) {
      io.stdout(
        `Gogs already refused the old token; if it still exists, delete it at ${applications} as the user it belonged to\n`,
      );
    }
    return 0;
  });
}

/** The repositories (`owner/name`) where the client's user is not an admin, or that it cannot see. */
async function reposWithoutAdmin(client: GogsClient, fullNames: readonly string[]): Promise<string[]> {
  const lacking: string[] = [];
  for (const fullName of fullNames) {
    const [owner = '', name = ''] = fullName.split('/');
    const admin = await client.getRepo(owner, name).then(
      (repo) => repo.permissions?.admin === true,
      (error: unknown) => {
        if (isAppError(error, 'GOGS_NOT_FOUND') || isAppError(error, 'GOGS_FORBIDDEN')) return false;
        throw error;
      },
    );
    if (!admin) lacking.push(fullName);
  }
  return lacking;
}

/** At most `limit` items, spread evenly over the list (its first and last included). */
export function spreadSample<T>(items: readonly T[], limit: number): T[] {
  if (items.length <= limit) return [...items];
  const step = (items.length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, index) => items[Math.round(index * step)] as T);
}

/** The new token from the file or stdin, one line ending dropped; never echoed in a problem. */
async function readNewToken(
  tokenFile: string,
  io: CommandIO,
  stdin: ValueInput,
): Promise<{ token: string } | { problem: string }> {
  let bytes: Buffer;
  if (tokenFile === '-') {
    if (stdin.isTerminal()) {
      return {
        problem:
          'give the new token on standard input (`drone-gogs rotate gogs-token --token-file - < FILE`) or in a file; it is not read from a terminal',
      };
    }
    bytes = await stdin.read(READ_LIMIT);
  } else {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of createReadStream(resolve(io.cwd, tokenFile), { end: READ_LIMIT }))
        chunks.push(chunk as Buffer);
      bytes = Buffer.concat(chunks);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problem: `cannot read ${terminalText(tokenFile, 200)}: ${code}` };
    }
  }
  if (bytes.length > READ_LIMIT)
    return { problem: `the new token is longer than ${READ_LIMIT} bytes: not a Gogs token` };
  const token = bytes.toString('utf8').replace(/\r?\n$/, '');
  const problem = gogsTokenProblem(token);
  return problem === null ? { token } : { problem: `the new token is not usable: ${problem}` };
}
