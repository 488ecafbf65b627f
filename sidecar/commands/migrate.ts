import { loadConfig } from '../config/index.ts';
import { openServices } from '../main.ts';
import { createLogger } from '../telemetry/index.ts';
import { defineCommand } from './command-args.ts';

/** `drone-gogs migrate`: applies pending database migrations (serve does the same at start). */
export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'apply pending database migrations (serve does the same at start)',
  async run(_input, io) {
    const config = loadConfig(io.env, io.cwd);
    const logger = createLogger({ ...config.log, write: (line) => io.stderr(`${line}\n`) });
    const services = await openServices(config, logger);
    await services.close();
    io.stdout(`drone-gogs: database at ${config.database.url} is up to date\n`);
    return 0;
  },
});
