/**
 * Makes a step's image available according to its pull policy. Unlike Drone's `default` (which pulls every
 * `:latest` tag), an image already present is used as is unless the policy is `always`: images built on the
 * host must work without a registry. For an untrusted repository, a present image that came from a registry is
 * used only if the registry lets this repository have it (image-access.ts); under `if-not-exists` and the default
 * it is otherwise pulled as if it were missing. Returns the image to run (as the engine knows it, for the step's
 * provenance), or why there is none.
 */
import type Docker from 'dockerode';
import type { PullPolicy } from '../core/index.ts';
import { engineMessage } from './docker-errors.ts';
import { asUser, type CachedImage, cachedImage, checkImageAccess } from './image-access.ts';
import { createPullProgress, type PullEvent, pullErrorOf } from './pull-progress.ts';
import { type RegistryAuth, registryAuthFor, registryOf } from './registry-auth.ts';

const REFUSED = /unauthorized|authentication required|no basic auth credentials|denied/i;

export interface ImageRequest {
  image: string;
  policy: PullPolicy;
  /** The docker config.json texts of the stage's image_pull_secrets; the entry for a registry is its credentials. */
  pullSecrets: readonly string[];
  /** Trusted repositories use a present image as is: they may reach the engine itself anyway. */
  trusted: boolean;
}

export type EnsuredImage = { image: CachedImage; error?: never } | { error: string; image?: never };

/** The engine has no reason to repeat a password, but if it ever did, it must not reach a log. */
function hiding(auth: RegistryAuth | null): (text: string) => string {
  const password = auth?.password ?? '';
  return password === '' ? (text) => text : (text) => text.replaceAll(password, '******');
}

async function pull(
  docker: Docker,
  image: string,
  auth: RegistryAuth | null,
  note: (line: string) => void,
): Promise<void> {
  note(`drone-gogs: pulling ${image}${asUser(auth)}`);
  const hide = hiding(auth);
  const write = (lines: string[]) => {
    for (const line of lines) note(`drone-gogs: ${hide(line)}`);
  };
  const progress = createPullProgress();
  const stream = await docker.pull(image, auth === null ? {} : { authconfig: auth });
  let failure: string | null = null;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        write(progress.rest());
        if (error !== null) reject(error);
        else if (failure !== null) reject(new Error(failure));
        else resolve();
      },
      (event: PullEvent) => {
        failure ??= pullErrorOf(event);
        write(progress.lines(event));
      },
    );
  });
}

/** The engine's words, with whose credentials the registry refused, or that there were none for it. */
function reasonOf(image: string, auth: RegistryAuth | null, message: string): string {
  const text = hiding(auth)(message);
  if (!REFUSED.test(text)) return text;
  return auth === null
    ? `${text} (no image_pull_secrets entry for ${registryOf(image)})`
    : `${text} (as ${auth.username}, with credentials for ${auth.serveraddress} from image_pull_secrets)`;
}

type Presence =
  | { kind: 'usable'; image: CachedImage }
  | { kind: 'absent' }
  | { kind: 'refused'; reason: string };

async function presenceOf(
  docker: Docker,
  request: ImageRequest,
  note: (line: string) => void,
): Promise<Presence> {
  const cached = await cachedImage(docker, request.image);
  if (cached === null) return { kind: 'absent' };
  if (request.trusted) return { kind: 'usable', image: cached };
  const access = await checkImageAccess(docker, request.image, cached, request.pullSecrets, note);
  if (access.allowed) return { kind: 'usable', image: cached };
  return { kind: 'refused', reason: reasonOf(access.reference, access.auth, access.reason) };
}

export async function ensureImage(
  docker: Docker,
  request: ImageRequest,
  note: (line: string) => void,
): Promise<EnsuredImage> {
  const { image, policy } = request;
  const presence: Presence =
    policy === 'always' ? { kind: 'absent' } : await presenceOf(docker, request, note);
  if (presence.kind === 'usable') return { image: presence.image };
  const unusable =
    presence.kind === 'refused'
      ? `image ${image} came from a registry that did not let this untrusted repository use it,`
      : `image ${image} is not on this Docker host`;
  if (policy === 'never') {
    const refusal = presence.kind === 'refused' ? `: ${presence.reason}` : '';
    return { error: `${unusable} and the step's pull policy is never${refusal}` };
  }
  const auth = registryAuthFor(image, request.pullSecrets);
  try {
    await pull(docker, image, auth, note);
    const pulled = await cachedImage(docker, image);
    if (pulled !== null) return { image: pulled };
    return { error: `image ${image} was pulled but is not on this Docker host (removed at once?)` };
  } catch (error) {
    const reason = reasonOf(image, auth, engineMessage(error));
    return {
      error:
        policy === 'always'
          ? `cannot pull image ${image} (pull policy always): ${reason}`
          : `${unusable} and cannot be pulled: ${reason}`,
    };
  }
}
