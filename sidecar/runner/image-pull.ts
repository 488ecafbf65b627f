/**
 * Makes a step's image available according to its pull policy. Unlike Drone's `default` (which pulls every
 * `:latest` tag), an image already present is used as is unless the policy is `always`: images built on the
 * host must work without a registry. Returns why the image is unusable, or null.
 */
import type Docker from 'dockerode';
import type { PullPolicy } from '../core/index.ts';
import { engineMessage, isNotFound } from './docker-errors.ts';
import type { RegistryAuth } from './registry-auth.ts';

async function isPresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function pull(
  docker: Docker,
  image: string,
  auth: RegistryAuth | null,
  note: (line: string) => void,
): Promise<void> {
  note(`drone-gogs: pulling ${image}${auth === null ? '' : ` as ${auth.username}`}`);
  const stream = await docker.pull(image, auth === null ? {} : { authconfig: auth });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = events?.find((event) => event.error !== undefined);
      if (error !== null) reject(error);
      else if (failed !== undefined) reject(new Error(failed.error));
      else resolve();
    });
  });
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
    return policy === 'always'
      ? `cannot pull image ${image} (pull policy always): ${engineMessage(error)}`
      : `image ${image} is not on this Docker host and cannot be pulled: ${engineMessage(error)}`;
  }
}
