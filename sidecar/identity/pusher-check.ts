/**
 * Whether a Gogs pusher is verified (require_verified_pusher): their Gogs account is linked to an identity of
 * an OpenID provider still configured, whose groups, as sent at the last sign-in, meet its required groups.
 */
import type { IdentityStore, OidcProviderRegistry, PusherCheck, UserStore } from '../core/index.ts';

export function createPusherCheck(deps: {
  users: Pick<UserStore, 'findByLogin'>;
  identities: Pick<IdentityStore, 'listByUser'>;
  providers: Pick<OidcProviderRegistry, 'providers'>;
}): PusherCheck {
  return {
    async verified(login) {
      const user = await deps.users.findByLogin(login);
      if (user === null) return false;
      const linked = await deps.identities.listByUser(user.id);
      if (linked.length === 0) return false;
      const providers = await deps.providers.providers();
      return linked.some((identity) => {
        const provider = providers.find((each) => each.name === identity.provider);
        if (provider === undefined) return false;
        const required = provider.requiredGroups;
        return required.length === 0 || required.some((group) => identity.groups.includes(group));
      });
    },
  };
}
