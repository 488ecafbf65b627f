import { LOCAL_ADMIN } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
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

/** `drone-gogs rotate …`: keys that rotate (webhook secrets rotate with `hooks rotate`). */
export const rotateCommand = defineCommandGroup({
  name: 'rotate',
  summary: 'rotate keys: session-keys',
  subcommands: { 'session-keys': sessionKeys },
});
