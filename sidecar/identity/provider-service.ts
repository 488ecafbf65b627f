/**
 * OpenID provider administration: CI admins add, list and remove providers while the sidecar runs. A provider
 * is checked whole before it is stored (every problem named at once); its client secret is stored encrypted,
 * bound to the provider's name, and never shown again. Every change is audited.
 */
import {
  AppError,
  type AuditLog,
  type Authorizer,
  type Clock,
  type Logger,
  OIDC_MATCH_RULES,
  type OidcProviderService,
  type OidcProviderStore,
  type OidcProviderView,
  oidcClientSecretPlace,
  oidcProviderProblems,
  type StoredOidcProvider,
  withOidcDefaults,
} from '../core/index.ts';
import { ROLE_GRANTS } from '../policy/index.ts';
import type { SecretCipher } from '../secrets/index.ts';

export interface OidcProviderServiceDeps {
  store: OidcProviderStore;
  cipher: SecretCipher;
  authorizer: Authorizer;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** Called after a provider was added or removed (the registry of this process forgets what it read). */
  changed?: () => void;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Roles must be ones the policy grants something to; groups must be named. */
function roleGroupProblems(
  provider: string,
  roleGroups: Readonly<Record<string, readonly string[]>>,
): string[] {
  const where = `OIDC provider ${JSON.stringify(provider)}`;
  const known = Object.keys(ROLE_GRANTS);
  const problems: string[] = [];
  for (const [role, groups] of Object.entries(roleGroups)) {
    if (!Object.hasOwn(ROLE_GRANTS, role))
      problems.push(`${where}: there is no role ${JSON.stringify(role)} (roles: ${known.join(', ')})`);
    if (groups.length === 0 || groups.some((group) => group.trim() === '' || group.length > 256))
      problems.push(
        `${where}: the groups of role ${JSON.stringify(role)} must be named (1 to 256 characters)`,
      );
  }
  return problems;
}

export function providerView(provider: StoredOidcProvider): OidcProviderView {
  return {
    name: provider.name,
    issuer: provider.issuer,
    client_id: provider.clientId,
    scopes: [...provider.scopes],
    username_claim: provider.usernameClaim,
    groups_claim: provider.groupsClaim,
    required_groups: [...provider.requiredGroups],
    admin_groups: [...provider.adminGroups],
    require_verified_email: provider.requireVerifiedEmail,
    match_by: provider.matchBy,
    role_groups: Object.fromEntries(
      Object.entries(provider.roleGroups).map(([role, groups]) => [role, [...groups]]),
    ),
    created: seconds(provider.createdAt),
    updated: seconds(provider.updatedAt),
  };
}

export function createOidcProviderService(deps: OidcProviderServiceDeps): OidcProviderService {
  const { store, audit } = deps;
  const mayAdminister = (actor: Parameters<Authorizer['authorize']>[0]) =>
    deps.authorizer.authorize(actor, 'admin', null);

  return {
    async add(actor, input) {
      await mayAdminister(actor);
      const { matchBy = 'email', roleGroups = {}, ...settings } = input;
      const config = withOidcDefaults(settings);
      const problems = oidcProviderProblems(config);
      if (!OIDC_MATCH_RULES.includes(matchBy))
        problems.push(`OIDC provider ${JSON.stringify(config.name)}: matchBy must be email or username`);
      problems.push(...roleGroupProblems(config.name, roleGroups));
      if (problems.length > 0)
        throw new AppError('BAD_REQUEST', problems.join('; '), { details: { problems } });
      const now = deps.clock.now();
      const added = await store.add({
        ...config,
        clientSecret: deps.cipher.encrypt(config.clientSecret, oidcClientSecretPlace(config.name)),
        matchBy,
        roleGroups,
        createdAt: now,
        updatedAt: now,
      });
      if (!added)
        throw new AppError(
          'CONFLICT',
          `there is already an OIDC provider named ${config.name}; remove it first to change it`,
        );
      deps.changed?.();
      await audit.record({
        actor,
        action: 'identity.provider.add',
        target: `oidc provider ${config.name}`,
        decision: 'allow',
        detail: { issuer: config.issuer, clientId: config.clientId, matchBy },
      });
      deps.logger.info('identity: OIDC provider added', { provider: config.name, issuer: config.issuer });
      const stored = (await store.list()).find((provider) => provider.name === config.name);
      if (stored === undefined) throw new AppError('NOT_FOUND', `the OIDC provider ${config.name} is gone`);
      return providerView(stored);
    },

    async list(actor) {
      await mayAdminister(actor);
      return (await store.list()).map(providerView);
    },

    async remove(actor, name) {
      await mayAdminister(actor);
      const removed = await store.remove(name);
      if (removed === null)
        throw new AppError(
          'NOT_FOUND',
          `there is no OIDC provider named ${name}; \`drone-gogs identity provider ls\` lists them`,
        );
      deps.changed?.();
      await audit.record({
        actor,
        action: 'identity.provider.remove',
        target: `oidc provider ${name}`,
        decision: 'allow',
        detail: { issuer: removed.issuer },
      });
      deps.logger.info('identity: OIDC provider removed', { provider: name });
      return providerView(removed);
    },
  };
}
