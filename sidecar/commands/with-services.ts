import { loadConfig } from '../config/index.ts';
import { openServices, type Services } from '../main.ts';
import { createLogger } from '../telemetry/index.ts';
import type { CommandIO } from './command-io.ts';

/** Opens the sidecar's services for one command and closes them afterwards, whatever happens. */
export async function withServices<T>(
  io: CommandIO,
  run: (services: Services) => Promise<T>,
  options: Parameters<typeof openServices>[3] = {},
): Promise<T> {
  const config = loadConfig(io.env, io.cwd);
  const logger = createLogger({
    format: config.log.format,
    level: 'warn',
    write: (line) => io.stderr(`${line}\n`),
  });
  const services = await openServices(config, logger, undefined, options);
  try {
    return await run(services);
  } finally {
    await services.close();
  }
}
