import { defineCommand } from './command-args.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

/** `drone-gogs engines`: the build hosts as the sidecar sees them; exit 1 when one does not answer. */
export const enginesCommand = defineCommand({
  name: 'engines',
  args: '[--json]',
  summary: 'check every configured Docker engine now: does it answer, what platform, what room',
  details: '  --json   print JSON instead of a table\n',
  options: { json: { type: 'boolean' } },
  async run({ values }, io) {
    return withServices(io, async (services) => {
      const states = await services.runner().checkEngines();
      const addresses = new Map(
        services.config.runner.engines.map((engine) => [engine.name, engine.address]),
      );
      if (values.json) {
        io.stdout(
          `${JSON.stringify(
            states.map((state) => ({ ...state, address: addresses.get(state.name) })),
            null,
            2,
          )}\n`,
        );
      } else {
        const rows = states.map((state) => [
          state.name,
          addresses.get(state.name) || 'local socket',
          state.up ? 'up' : 'down',
          state.platform === null ? '-' : `${state.platform.os}/${state.platform.arch}`,
          String(state.capacity),
          Object.entries(state.labels)
            .map(([key, value]) => `${key}=${value}`)
            .join(',') || '-',
        ]);
        io.stdout(textTable(['ENGINE', 'ADDRESS', 'STATE', 'PLATFORM', 'CAPACITY', 'LABELS'], rows));
      }
      // Why an engine is down, and what to check, was logged by the pool when the check failed.
      return states.every((state) => state.up) ? 0 : 1;
    });
  },
});
