/**
 * `drone-gogs rotate secret-key`: a new key for the secrets at rest, every stored value re-encrypted under it,
 * and later (`--retire-old`) the old key removed once the database shows that no value needs it.
 */
import { LOCAL_ADMIN, type SecretKeyRetirement, type SecretKeyRotationOutcome } from '../core/index.ts';
import type { CommandIO } from './command-io.ts';
import { withServices } from './with-services.ts';

export const DEFAULT_SECRET_BATCH = 500;

export const ROTATE_SECRET_KEY_HELP = `  --batch-size N    values re-encrypted per write transaction (default ${DEFAULT_SECRET_BATCH})
  --retire-old      remove the retired keys, after checking in the database that no value needs them
  --print-new-key   with DRONE_GOGS_SECRET_KEY: print a new key once, for you to set (see below)

  Makes a new key, writes it to <data dir>/secret.key and keeps the old one in
  <data dir>/secret-keys/<key id>.key (mode 0600; the old key is on disk before the new one replaces it), then
  re-encrypts every stored value in batches: hook secrets (current and previous), build secrets, OIDC client
  secrets, people's Gogs tokens, session and workload signing keys. It prints progress and, at the end, how many
  values it re-encrypted per table. Stopped or crashed at any point, nothing is lost: run it again and it
  finishes the same rotation (values still under a retired key mean it is unfinished) instead of starting another.

  A \`serve\` started before the rotation still reads everything: meeting a value of a key it does not hold, it
  reads the keys in the data dir again (and logs that it did), then encrypts with the new key too. Values it
  writes before that are under the old key: restart every serve, run this again if it said so, then remove the
  old key with \`--retire-old\`. That is a run of its own, never automatic, because only you know that every
  process has restarted; it refuses while any value in the database still needs the key. The retired key's audit
  key (which decrypts nothing) stays as secret-keys/<key id>.audit-key, so \`audit verify\` still checks the rows
  it sealed.

  With DRONE_GOGS_SECRET_KEY set, a file would be ignored at the next start, so this writes none:
    1. drone-gogs rotate secret-key --print-new-key    prints a new key on standard output, once
    2. set DRONE_GOGS_SECRET_KEY to it and DRONE_GOGS_SECRET_KEYS_RETIRED to the old key (comma-separated
       with any other retired ones) wherever drone-gogs runs, and restart
    3. drone-gogs rotate secret-key                    re-encrypts every value under the new key
    4. drone-gogs rotate secret-key --retire-old       checks that no value needs the old key; then remove it
       from DRONE_GOGS_SECRET_KEYS_RETIRED
  Key ids (8 hex characters) name the keys in the output and the audit log; key material is never printed
  except the new key of --print-new-key.
`;

const tablesText = (byTable: Record<string, number>) => {
  const entries = Object.entries(byTable).filter(([, count]) => count > 0);
  return entries.length === 0 ? 'none' : entries.map(([table, count]) => `${table} ${count}`).join(', ');
};

const sum = (byTable: Record<string, number>) => Object.values(byTable).reduce((total, n) => total + n, 0);

function reportRotation(
  outcome: Extract<SecretKeyRotationOutcome, { kind: 'rotated' }>,
  io: CommandIO,
): number {
  const retired = outcome.previousKeyIds.join(', ');
  io.stdout(
    `${outcome.resumed ? 'finished the interrupted rotation: ' : ''}every value is now encrypted with key ${outcome.keyId}` +
      `; re-encrypted ${sum(outcome.byTable)} value(s): ${tablesText(outcome.byTable)}\n`,
  );
  let code = 0;
  for (const place of outcome.unreadable) {
    io.stderr(
      `drone-gogs: cannot decrypt ${place} with any key held; it was left as it is (replace that value)\n`,
    );
    code = 1;
  }
  if (outcome.stillUnderRetired > 0) {
    io.stderr(
      `drone-gogs: ${outcome.stillUnderRetired} value(s) were written under a retired key while this ran, by a process started before the rotation: restart every drone-gogs serve, then run \`drone-gogs rotate secret-key\` again\n`,
    );
    code = 1;
  }
  if (retired !== '') {
    io.stdout(
      `the old key(s) ${retired} stay in data/secret-keys/ for processes started before the rotation; once every drone-gogs process has restarted, \`drone-gogs rotate secret-key --retire-old\` removes them\n`,
    );
  }
  return code;
}

const ENVIRONMENT_STEPS = `  1. drone-gogs rotate secret-key --print-new-key   (prints a new key once)
  2. set DRONE_GOGS_SECRET_KEY to the new key and DRONE_GOGS_SECRET_KEYS_RETIRED to the current one wherever
     drone-gogs runs, and restart
  3. drone-gogs rotate secret-key                   (re-encrypts every value under the new key)
  4. drone-gogs rotate secret-key --retire-old, then remove the old key from DRONE_GOGS_SECRET_KEYS_RETIRED
`;

function reportEnvironment(
  outcome: Extract<SecretKeyRotationOutcome, { kind: 'environment' }>,
  io: CommandIO,
) {
  if (outcome.newKey === null) {
    io.stderr(
      `drone-gogs: the secret key (key ${outcome.keyId}) comes from DRONE_GOGS_SECRET_KEY, so a new key in data/secret.key would be ignored at the next start; nothing was changed. To rotate it:\n${ENVIRONMENT_STEPS}`,
    );
    return 1;
  }
  io.stdout(`${outcome.newKey}\n`);
  io.stderr(
    `drone-gogs: above is a new secret key (key ${outcome.newKeyId}), shown this once and stored nowhere; the current one is key ${outcome.keyId}. Next:\n${ENVIRONMENT_STEPS.split('\n').slice(1).join('\n')}`,
  );
  return 0;
}

function reportRetirement(outcome: SecretKeyRetirement, io: CommandIO): number {
  const needed = Object.entries(outcome.stillNeeded);
  if (needed.length > 0) {
    for (const [keyId, byTable] of needed) {
      io.stderr(
        keyId === 'v1'
          ? `drone-gogs: ${sum(byTable)} value(s) are in the old v1 format, which names no key, so any retired key may be theirs (${tablesText(byTable)}): \`drone-gogs rotate secret-key\` re-encrypts those it can read; replace the others\n`
          : `drone-gogs: key ${keyId} is still needed by ${sum(byTable)} value(s) (${tablesText(byTable)}): run \`drone-gogs rotate secret-key\` to re-encrypt them first\n`,
      );
    }
    io.stderr('drone-gogs: no key was retired\n');
    return 1;
  }
  if (outcome.retired.length === 0) {
    io.stdout('there is no retired secret key to remove\n');
    return 0;
  }
  const ids = outcome.retired.join(', ');
  io.stdout(
    outcome.source === 'environment'
      ? `no stored value needs key(s) ${ids} any more: remove them from DRONE_GOGS_SECRET_KEYS_RETIRED and restart; their audit keys stay in data/secret-keys/ for \`audit verify\`\n`
      : `removed retired key(s) ${ids} from data/secret-keys/; their audit keys stay there (<key id>.audit-key) so that \`audit verify\` still checks the rows they sealed\n`,
  );
  return 0;
}

export async function rotateSecretKey(
  input: { retireOld: boolean; printNewKey: boolean; batchSize: number },
  io: CommandIO,
): Promise<number> {
  return withServices(
    io,
    async (services) => {
      const previousKeyId = services.cipher.keyId;
      if (input.retireOld) {
        const outcome = await services.secretKeyRotation.retire();
        if (outcome.retired.length > 0) {
          await services.audit.record({
            actor: LOCAL_ADMIN,
            action: 'secret-key.retire',
            target: 'secret key',
            decision: 'allow',
            detail: { retired: outcome.retired.join(','), current: services.cipher.keyId },
          });
        }
        return reportRetirement(outcome, io);
      }
      const outcome = await services.secretKeyRotation.rotate({
        printNewKey: input.printNewKey,
        batchSize: input.batchSize,
        onBatch: ({ done, total }) => io.stdout(`re-encrypted ${done}/${total} values\n`),
      });
      if (outcome.kind === 'environment') {
        if (outcome.newKey !== null) {
          await services.audit.record({
            actor: LOCAL_ADMIN,
            action: 'secret-key.rotate',
            target: 'secret key',
            decision: 'allow',
            detail: { step: 'new key printed', from: outcome.keyId, to: outcome.newKeyId },
          });
        }
        return reportEnvironment(outcome, io);
      }
      await services.audit.record({
        actor: LOCAL_ADMIN,
        action: 'secret-key.rotate',
        target: 'secret key',
        decision: 'allow',
        detail: {
          from: outcome.resumed ? outcome.previousKeyIds.join(',') : previousKeyId,
          to: outcome.keyId,
          resumed: outcome.resumed,
          reencrypted: sum(outcome.byTable),
          ...Object.fromEntries(
            Object.entries(outcome.byTable).map(([table, n]) => [`reencrypted.${table}`, n]),
          ),
          unreadable: outcome.unreadable.length,
        },
      });
      return reportRotation(outcome, io);
    },
    { upgradeStoredSecrets: false },
  );
}
