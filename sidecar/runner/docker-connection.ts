/** A Docker engine client from a DOCKER_HOST-style address, so that callers never read the environment themselves. */
import Docker from 'dockerode';
import { AppError } from '../core/index.ts';

/**
 * `unix:///path` or '' (the local socket), `tcp://host:port` or `http://host:port` (plain HTTP). TLS and ssh
 * addresses are not supported yet: AppError CONFIG_INVALID.
 */
export function connectDocker(address = ''): Docker {
  if (address === '') return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = URL.parse(address);
  if (url === null) throw new AppError('CONFIG_INVALID', `Docker address ${address} is not a URL`);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return new Docker({ protocol: 'http', host: url.hostname, port: Number(url.port || 2375) });
  }
  throw new AppError(
    'CONFIG_INVALID',
    `unsupported Docker address ${address}: use unix:///path or tcp://host:port`,
  );
}
