/**
 * The Gogs test double for the webhook benchmark's busy sidecar, in a process of its own so that serving files
 * and git does not share the measured sidecar's event loop (Gogs cannot run here). It holds `alice/app` with a
 * one-step pipeline, prints one JSON line `{ url, token, gogsId, cloneUrl, before, after }` and runs until killed.
 * Each line `{"push": {branch, files, message}}` on its standard input is a push to `alice/app`, answered with
 * one line `{"pushed": PushResult}` (or `{"error": message}`) once its webhooks were sent.
 */
import { createInterface } from 'node:readline';
import { startGogsDouble } from '../support/gogs-double/index.ts';
import { BUSYBOX_IMAGE } from '../support/images.ts';

const PIPELINE = `kind: pipeline
type: docker
name: default
steps:
- name: build
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands: [echo built]
`;

const gogs = await startGogsDouble();
const alice = gogs.addUser({ username: 'alice', password: 'alice-password' });
const repo = await gogs.createRepo({ owner: 'alice', name: 'app', files: { 'README.md': 'app\n' } });
const push = await gogs.pushCommit({
  owner: 'alice',
  name: 'app',
  branch: 'master',
  files: { '.drone.yml': PIPELINE },
  message: 'ci',
});
console.log(
  JSON.stringify({
    url: gogs.url,
    token: alice.token,
    gogsId: repo.id,
    cloneUrl: repo.cloneUrl,
    before: push.before,
    after: push.sha,
  }),
);
createInterface({ input: process.stdin }).on('line', (line) => {
  const { push: input } = JSON.parse(line) as {
    push: { branch: string; files: Record<string, string | null>; message: string };
  };
  gogs.pushCommit({ owner: 'alice', name: 'app', ...input }).then(
    (pushed) => console.log(JSON.stringify({ pushed })),
    (error: unknown) => console.log(JSON.stringify({ error: String(error) })),
  );
});
process.on('SIGTERM', () => {
  gogs.close().then(() => process.exit(0));
});
