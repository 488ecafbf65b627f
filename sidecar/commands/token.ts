import { type ApiTokenView, LOCAL_ADMIN } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { durationMs } from './durations.ts';
import { terminalJson, terminalText } from './terminal-text.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

const when = (seconds: number, never: string) =>
  seconds === 0 ? never : `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;

function formatTable(tokens: readonly ApiTokenView[]): string {
  if (tokens.length === 0) return 'no tokens\n';
  return textTable(
    ['ID', 'USER', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'],
    tokens.map((token) => [
      String(token.id),
      token.user,
      terminalText(token.name, 100),
      when(token.created, '-'),
      when(token.expires, 'never'),
      when(token.last_used, 'never'),
      when(token.revoked, '-'),
    ]),
  );
}

const create = defineCommand({
  name: 'token create',
  args: 'USER [--expires 30d] [--name NAME]',
  summary: 'a new API token for a Gogs user, printed once',
  details: `  --expires WHEN  the token stops working after this long: 90m, 24h, 30d (default: never)
  --name NAME     what the token is for, shown by \`token ls\`

  The user is looked up in Gogs when drone-gogs has not met them. Only the token's SHA-256 is kept: it cannot
  be shown again; \`drone-gogs token revoke ID\` ends it. Clients send it as \`Authorization: Bearer TOKEN\`.
`,
  options: { expires: { type: 'string' }, name: { type: 'string' } },
  positionals: ['USER'],
  async run({ values, positionals: [login = ''], usageError }, io) {
    const expiresInMs = values.expires === undefined ? undefined : durationMs(values.expires);
    if (expiresInMs === null) return usageError('--expires takes a duration: 90m, 24h or 30d');
    return withServices(io, async (services) => {
      const { token, view } = await services.tokens.create(LOCAL_ADMIN, login, {
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(expiresInMs === undefined ? {} : { expiresInMs }),
      });
      io.stdout(`${token}\n`);
      io.stderr(
        `token ${view.id} for ${view.user}, ${view.expires === 0 ? 'never expires' : `expires ${when(view.expires, '')}`}; it is not shown again\n`,
      );
      return 0;
    });
  },
});

const ls = defineCommand({
  name: 'token ls',
  args: '[USER] [--json]',
  summary: "API tokens (every user's, or one user's): never their values",
  options: { json: { type: 'boolean', default: false } },
  positionals: ['[USER]'],
  run: ({ values, positionals: [login] }, io) =>
    withServices(io, async (services) => {
      const tokens = await services.tokens.list(LOCAL_ADMIN, login);
      io.stdout(values.json ? terminalJson(tokens) : formatTable(tokens));
      return 0;
    }),
});

const revoke = defineCommand({
  name: 'token revoke',
  args: 'ID',
  summary: 'end an API token for good (its id from `token ls`)',
  positionals: ['ID'],
  async run({ positionals: [text = ''], usageError }, io) {
    if (!/^\d{1,15}$/.test(text)) return usageError('ID is the number `token ls` shows');
    return withServices(io, async (services) => {
      const view = await services.tokens.revoke(LOCAL_ADMIN, Number(text));
      io.stdout(`revoked token ${view.id} of ${view.user}\n`);
      return 0;
    });
  },
});

/** `drone-gogs token …`: API tokens of Gogs users. */
export const tokenCommand = defineCommandGroup({
  name: 'token',
  summary: 'API tokens: create, ls, revoke',
  subcommands: { create, ls, revoke },
});
