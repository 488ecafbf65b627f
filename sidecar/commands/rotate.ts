import { LOCAL_ADMIN } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { ROTATE_GOGS_TOKEN_HELP, rotateGogsToken } from './rotate-gogs-token.ts';
import { DEFAULT_SECRET_BATCH, ROTATE_SECRET_KEY_HELP, rotateSecretKey } from './rotate-secret-key.ts';
import { processStdin } from './secret.ts';
import { withServices } from './with-services.ts';

const sessionKeys = defineCommand({
  name: 'rotate session-keys',
  args: '',
  summary: 'sign new sessions with a new key; the old one verifies until its sessions end',
  details: `  Sessions signed with the old key go on working until they end (12 hours idle, 7 days at most); retired
  keys no session needs any more are deleted. Run it on a schedule, or at once after a key may have leaked (then
  also end the sessions: they are rows in the database).
`,
  positionals: [],
  async run(_args, io) {
    return withServices(io, async (services) => {
      const { signing, deleted } = await services.sessions.rotateKeys(services.clock.now());
      await services.audit.record({
        actor: LOCAL_ADMIN,
        action: 'session-keys.rotate',
        target: 'session signing keys',
        decision: 'allow',
        detail: { signing, deleted: deleted.length },
      });
      io.stdout(`sessions are now signed with key ${signing}; removed ${deleted.length} retired key(s)\n`);
      return 0;
    });
  },
});

const gogsToken = defineCommand({
  name: 'rotate gogs-token',
  args: '--token-file F|- [--allow-other-user]',
  summary: "replace the sidecar's Gogs token file with a checked new token; a running serve follows it",
  details: ROTATE_GOGS_TOKEN_HELP,
  options: { 'token-file': { type: 'string' }, 'allow-other-user': { type: 'boolean' } },
  // Declared only to refuse a token typed on the command line without echoing it.
  positionals: ['[TOKEN]'],
  async run({ values, positionals, usageError }, io) {
    if (positionals.length > 0)
      return usageError(
        'a token is never taken on the command line (it would stay in the shell history and show in `ps`); give it with --token-file F or --token-file - on standard input',
      );
    if (values['token-file'] === undefined)
      return usageError('rotate gogs-token needs --token-file F (or - for standard input)');
    const input = { tokenFile: values['token-file'], allowOtherUser: values['allow-other-user'] === true };
    return rotateGogsToken(input, io, processStdin);
  },
});

const secretKey = defineCommand({
  name: 'rotate secret-key',
  args: '[--batch-size N] [--retire-old] [--print-new-key]',
  summary: 'encrypt the secrets at rest with a new key; --retire-old later removes the old one',
  details: ROTATE_SECRET_KEY_HELP,
  options: {
    'batch-size': { type: 'string' },
    'retire-old': { type: 'boolean' },
    'print-new-key': { type: 'boolean' },
  },
  positionals: [],
  async run({ values, usageError }, io) {
    const batchSize =
      values['batch-size'] === undefined ? DEFAULT_SECRET_BATCH : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      return usageError('--batch-size takes a whole number, 1 or more');
    if (values['retire-old'] && values['print-new-key'])
      return usageError('--retire-old and --print-new-key are separate steps: run one, then the other');
    const input = {
      retireOld: values['retire-old'] === true,
      printNewKey: values['print-new-key'] === true,
      batchSize,
    };
    return rotateSecretKey(input, io);
  },
});

/** `drone-gogs rotate …`: keys that rotate (webhook secrets rotate with `hooks rotate`). */
export const rotateCommand = defineCommandGroup({
  name: 'rotate',
  summary: 'rotate keys: session-keys, gogs-token, secret-key',
  subcommands: {
    'session-keys': sessionKeys,
    'gogs-token': gogsToken,
    'secret-key': secretKey,
  },
});
