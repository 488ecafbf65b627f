/**
 * A TEST DOUBLE of Gogs — not Gogs. It imitates the parts of a Gogs server the sidecar talks to, from the wire
 * facts in /work/shared/examples/gogs-wire.md: the API v1 subset of GogsClient (with Gogs' reply shapes, auth
 * rules and quirks), git smart HTTP through the real `git http-backend`, and webhook delivery byte for byte as
 * Gogs sends it. State lives in memory and in bare repositories under a temporary directory; it listens on
 * 127.0.0.1 only.
 *
 *   const gogs = await startGogsDouble();
 *   const { token } = gogs.addUser({ username: 'alice', password: 'secret' });
 *   await gogs.createRepo({ owner: 'alice', name: 'app', files: { '.drone.yml': 'kind: pipeline' } });
 *   gogs.addHook({ owner: 'alice', name: 'app', url: receiverUrl, secret: 's3cret', events: ['push'] });
 *   const { sha, deliveries } = await gogs.pushCommit({ owner: 'alice', name: 'app', branch: 'master',
 *     files: { 'README.md': 'hi' }, message: 'Update README' });
 *   await gogs.close();
 */
export type { AddUserInput } from './accounts.ts';
export { type ApiAnswer, callApi } from './api-call.ts';
export type { Fault, RequestRecord } from './faults.ts';
export { createGitCli, type GitCli } from './git-cli.ts';
export { type GitPerson, ZERO_SHA } from './git-repo.ts';
export { marshalIndentGo } from './go-json.ts';
export type { GogsDouble, GogsDoubleOptions, HookSnapshot, RepoTarget } from './gogs-double.ts';
export { type HookReceiver, type ReceivedHook, startHookReceiver } from './hook-receiver.ts';
export { type ShapeOptions, shapeDifferences } from './json-shape.ts';
export { BLOCKED_LOCAL_ADDRESS_MESSAGE } from './local-network.ts';
export type { HookEventName } from './model.ts';
export type {
  AddHookInput,
  CommitInput,
  CreateRepoInput,
  PushResult,
  RefChangeResult,
} from './repo-actions.ts';
export { startGogsDouble } from './start-gogs-double.ts';
export { type DeliveryRecord, signPayload } from './webhook-delivery.ts';
