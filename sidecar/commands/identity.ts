import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { LOCAL_ADMIN, OIDC_MATCH_RULES, type OidcMatchRule, type OidcProviderView } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { terminalJson, terminalText } from './terminal-text.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

const MAX_SECRET_BYTES = 4096;

function formatTable(providers: readonly OidcProviderView[]): string {
  if (providers.length === 0) return 'no OIDC providers\n';
  return textTable(
    ['NAME', 'ISSUER', 'CLIENT ID', 'MATCH BY', 'REQUIRED GROUPS', 'ADMIN GROUPS'],
    providers.map((provider) => [
      provider.name,
      terminalText(provider.issuer, 100),
      terminalText(provider.client_id, 60),
      provider.match_by,
      terminalText(provider.required_groups.join(',') || '-', 60),
      terminalText(provider.admin_groups.join(',') || '-', 60),
    ]),
  );
}

/** The file's text without one trailing line ending; a problem to report instead when it cannot be used. */
async function readSecretFile(cwd: string, file: string): Promise<{ text: string } | { problem: string }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(resolve(cwd, file), { end: MAX_SECRET_BYTES }))
      chunks.push(chunk as Buffer);
  } catch (error) {
    return {
      problem: `cannot read ${terminalText(file, 200)}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    };
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length > MAX_SECRET_BYTES)
    return { problem: `the client secret file is over ${MAX_SECRET_BYTES} bytes` };
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (text === '' || /[\r\n]/.test(text))
    return { problem: 'the client secret file must hold one line: the secret' };
  return { text };
}

const list = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');

const add = defineCommand({
  name: 'identity provider add',
  args: 'NAME --issuer URL --client-id ID --client-secret-file FILE [options]',
  summary: 'sign people in with an OpenID Connect provider (in use within seconds, no restart)',
  details: `  --issuer URL               the provider's Issuer Identifier (https; http on a loopback host only)
  --client-id ID             the client registered at the provider for drone-gogs
  --client-secret-file FILE  a file holding the client secret (never given on the command line)
  --scopes a,b               requested scopes (default openid,email,profile)
  --username-claim CLAIM     the claim with the username (default preferred_username)
  --groups-claim CLAIM       the claim with the groups (default groups)
  --required-group GROUP     only members of this group may sign in; repeat for several (any one will do)
  --admin-group GROUP        members of this group are CI admins; repeat for several
  --role-group ROLE=GROUP    members of GROUP have ROLE (deployer: may promote with read access); repeat
  --require-verified-email   refuse people whose email is not verified
  --match-by email|username  how a person is matched to a Gogs user: verified email (default), or the
                             username claim as the Gogs login

  The client secret is stored encrypted and never shown again; \`identity provider rm NAME\` removes it.
`,
  options: {
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-file': { type: 'string' },
    scopes: { type: 'string' },
    'username-claim': { type: 'string' },
    'groups-claim': { type: 'string' },
    'required-group': { type: 'string', multiple: true },
    'admin-group': { type: 'string', multiple: true },
    'role-group': { type: 'string', multiple: true },
    'require-verified-email': { type: 'boolean', default: false },
    'match-by': { type: 'string' },
  },
  positionals: ['NAME'],
  async run({ values, positionals: [name = ''], usageError }, io) {
    if (values.issuer === undefined) return usageError('--issuer is required');
    if (values['client-id'] === undefined) return usageError('--client-id is required');
    if (values['client-secret-file'] === undefined)
      return usageError('--client-secret-file is required: the secret is never taken from the command line');
    const matchBy = values['match-by'];
    if (matchBy !== undefined && !OIDC_MATCH_RULES.includes(matchBy as OidcMatchRule))
      return usageError('--match-by takes email or username');
    const byRole = new Map<string, string[]>();
    for (const pair of values['role-group'] ?? []) {
      const at = pair.indexOf('=');
      if (at <= 0 || at === pair.length - 1)
        return usageError(`--role-group takes ROLE=GROUP, not ${JSON.stringify(pair)}`);
      const role = pair.slice(0, at);
      byRole.set(role, [...(byRole.get(role) ?? []), pair.slice(at + 1)]);
    }
    const roleGroups = Object.fromEntries(byRole);
    const secret = await readSecretFile(io.cwd, values['client-secret-file']);
    if ('problem' in secret) {
      io.stderr(`drone-gogs: ${secret.problem}\n`);
      return 1;
    }
    const scopes = list(values.scopes);
    return withServices(io, async (services) => {
      const view = await services.oidcProviders.add(LOCAL_ADMIN, {
        name,
        issuer: values.issuer ?? '',
        clientId: values['client-id'] ?? '',
        clientSecret: secret.text,
        ...(scopes === undefined ? {} : { scopes }),
        ...(values['username-claim'] === undefined ? {} : { usernameClaim: values['username-claim'] }),
        ...(values['groups-claim'] === undefined ? {} : { groupsClaim: values['groups-claim'] }),
        requiredGroups: values['required-group'] ?? [],
        adminGroups: values['admin-group'] ?? [],
        roleGroups,
        requireVerifiedEmail: values['require-verified-email'] ?? false,
        ...(matchBy === undefined ? {} : { matchBy: matchBy as OidcMatchRule }),
      });
      io.stdout(
        `added OIDC provider ${view.name} (${terminalText(view.issuer, 200)}), matching by ${view.match_by}\n`,
      );
      return 0;
    });
  },
});

const ls = defineCommand({
  name: 'identity provider ls',
  args: '[--json]',
  summary: 'the OpenID Connect providers: never their client secrets',
  options: { json: { type: 'boolean', default: false } },
  run: ({ values }, io) =>
    withServices(io, async (services) => {
      const providers = await services.oidcProviders.list(LOCAL_ADMIN);
      io.stdout(values.json ? terminalJson(providers) : formatTable(providers));
      return 0;
    }),
});

const rm = defineCommand({
  name: 'identity provider rm',
  args: 'NAME',
  summary: 'stop signing people in with a provider (within seconds, no restart)',
  positionals: ['NAME'],
  run: ({ positionals: [name = ''] }, io) =>
    withServices(io, async (services) => {
      const view = await services.oidcProviders.remove(LOCAL_ADMIN, name);
      io.stdout(`removed OIDC provider ${view.name}\n`);
      return 0;
    }),
});

const provider = defineCommandGroup({
  name: 'identity provider',
  summary: 'OpenID Connect providers: add, ls, rm',
  subcommands: { add, ls, rm },
});

/** `drone-gogs identity …`: how people sign in. */
export const identityCommand = defineCommandGroup({
  name: 'identity',
  summary: 'how people sign in: OpenID Connect providers',
  subcommands: { provider },
});
