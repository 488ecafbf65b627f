import {
  AppError,
  type BuildSecrets,
  type Logger,
  orgSecretScope,
  repoSecretScope,
  type SecretStore,
  type StoredSecret,
  secretPlace,
} from '../core/index.ts';
import { exposeSecrets } from './exposure.ts';
import type { SecretCipher } from './secret-cipher.ts';

export interface BuildSecretsDeps {
  secrets: SecretStore;
  cipher: SecretCipher;
  logger: Logger;
}

/**
 * The secrets of a build at the moment its stage starts (so a secret changed since the build was created counts):
 * the repository's and its owner's, through the exposure rules, decrypted. Names withheld are logged at debug
 * level with the rule, so that an empty `from_secret` can be explained; values never are.
 */
export function createBuildSecrets(deps: BuildSecretsDeps): BuildSecrets {
  const { secrets, cipher, logger } = deps;
  return {
    async forBuild(repo, origin) {
      const repoScope = repoSecretScope(repo.gogsId);
      const rows = await secrets.list([repoScope, orgSecretScope(repo.owner)]);
      const candidates = rows.map((row) => ({
        ...row,
        level: row.scope === repoScope ? ('repo' as const) : ('org' as const),
      }));
      const { exposed, withheld } = exposeSecrets(candidates, origin);
      for (const { secret, rule, reason } of withheld)
        logger.debug(`secrets: withheld ${secret.name} from a ${origin.event} build: ${reason}`, {
          repo: repo.fullName,
          rule,
        });
      const values: Record<string, string> = {};
      for (const secret of exposed) values[secret.name] = open(secret, repo.fullName);
      return values;
    },
  };

  function open(secret: StoredSecret & { level: 'repo' | 'org' }, fullName: string): string {
    try {
      return cipher.decrypt(secret.data, secretPlace(secret.scope, secret.name));
    } catch (error) {
      const org = secret.scope.slice('org:'.length);
      const [owner, target] =
        secret.level === 'repo' ? [fullName, fullName] : [`organisation ${org}`, `--org ${org}`];
      throw new AppError(
        'DECRYPT_FAILED',
        `the secret ${secret.name} of ${owner} cannot be decrypted (${(error as Error).message}); set it again with \`drone-gogs secret update ${target} ${secret.name}\``,
        { cause: error },
      );
    }
  }
}
