import { describeConfig, loadConfig } from '../config/index.ts';
import { startSidecar } from '../main.ts';
import { createLogger } from '../telemetry/index.ts';
import { defineCommand } from './command-args.ts';

/** `drone-gogs serve`: runs the sidecar until SIGINT or SIGTERM. */
export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'run the sidecar (webhooks, API, workers) until SIGINT or SIGTERM',
  async run(_input, io) {
    // Listening for SIGINT/SIGTERM before anything starts: a signal during the start stops the sidecar once it
    // is up, instead of killing it half-started (Node's default).
    const interrupted = io.interrupted();
    const config = loadConfig(io.env, io.cwd);
    const logger = createLogger({ ...config.log, write: (line) => io.stderr(`${line}\n`) });
    const sidecar = await startSidecar(config, logger);
    for (const line of describeConfig({ ...config, listen: listenOf(sidecar.url) }))
      io.stdout(`drone-gogs: ${line}\n`);
    if (sidecar.services.gogs === null) {
      logger.warn(
        `config: no Gogs URL or token (DRONE_GOGS_GOGS_URL, and DRONE_GOGS_GOGS_TOKEN or the file ${config.gogs.token.file}); hooks are received, but repositories cannot be enabled or reconciled`,
      );
    }
    await new Promise<void>((resolve) => {
      if (interrupted.aborted) resolve();
      else interrupted.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info(`serve: ${String(interrupted.reason)} received, stopping`);
    await sidecar.stop();
    logger.info('serve: stopped');
    return 0;
  },
});

function listenOf(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port) };
}
