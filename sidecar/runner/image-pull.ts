/**
 * Makes a step's image available according to its pull policy. Unlike Drone's `default` (which pulls every
 * `:latest` tag), an image already present is used as is unless the policy is `always`: images built on the
 * host must work without a registry. Returns why the image is unusable, or null.
 */
import type Docker from 'dockerode';
import type { PullPolicy } from '../core/index.ts';
import { engineMessage, isNotFound } from './docker-errors.ts';
import { createPullProgress, type PullEvent, pullErrorOf } from './pull-progress.ts';
import { type RegistryAuth, registryOf } from './registry-auth.ts';

const REFUSED = /unauthorized|authentication required|no basic auth credentials|denied/i;

async function isPresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

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
  note(`drone-gogs: pulling ${image}${auth === null ? '' : ` as ${auth.username}`}`);
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

/** Says whose credentials the registry refused, or that there were none for it. */
function refusalHint(image: string, auth: RegistryAuth | null, message: string): string {
  if (!REFUSED.test(message)) return '';
  return auth === null
    ? ` (no image_pull_secrets entry for ${registryOf(image)})`
    : ` (as ${auth.username}, with credentials for ${auth.serveraddress} from image_pull_secrets)`;
}

export async function ensureImage(
  docker: Docker,
  image: string,
  policy: PullPolicy,
  auth: RegistryAuth | null,
  note: (line: string) => void,
): Promise<string | null> {
  if (policy !== 'always' && (await isPresent(docker, image))) return null;
  if (policy === 'never')
    return `image ${image} is not on this Docker host and the step's pull policy is never`;
  try {
    await pull(docker, image, auth, note);
    return null;
  } catch (error) {
    const message = hiding(auth)(engineMessage(error));
    const reason = `${message}${refusalHint(image, auth, message)}`;
    return policy === 'always'
      ? `cannot pull image ${image} (pull policy always): ${reason}`
      : `image ${image} is not on this Docker host and cannot be pulled: ${reason}`;
  }
}
