import { LOCAL_ADMIN } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { terminalText } from './terminal-text.ts';
import { withServices } from './with-services.ts';

/** How often `--follow` asks for new lines. */
const FOLLOW_POLL_MS = 500;
/** A log line longer than this is cut on the terminal (the store keeps it whole). */
const MAX_LINE_CHARS = 16_384;

const view = defineCommand({
  name: 'log view',
  args: 'OWNER/NAME BUILD STAGE STEP [--follow]',
  summary: "a step's log (stage and step by number, as `build info` lists them)",
  details: `  --follow   keep printing new lines until the step ends (Ctrl-C stops)

  Escape sequences and other control characters a step printed are shown as \\u001b and the like, never
  passed to the terminal.
`,
  options: { follow: { type: 'boolean', default: false } },
  positionals: ['OWNER/NAME', 'BUILD', 'STAGE', 'STEP'],
  async run({ values, positionals: [fullName = '', ...numbers], usageError }, io) {
    const [build, stage, step] = numbers.map((text) => (/^\d{1,9}$/.test(text) ? Number(text) : Number.NaN));
    for (const [name, value, text] of [
      ['BUILD', build, numbers[0]],
      ['STAGE', stage, numbers[1]],
      ['STEP', step, numbers[2]],
    ] as const)
      if (!(value !== undefined && value >= 1))
        return usageError(`${name} must be a number from 1, not ${terminalText(text ?? '', 40)}`);
    const at = { build: build ?? 0, stage: stage ?? 0, step: step ?? 0 };
    return withServices(io, async (services) => {
      const interrupted = io.interrupted();
      let afterLine = -1;
      for (;;) {
        const { lines, ended } = await services.builds.log(LOCAL_ADMIN, fullName, at, afterLine);
        for (const line of lines) io.stdout(`${terminalText(line.text, MAX_LINE_CHARS)}\n`);
        afterLine = lines.at(-1)?.number ?? afterLine;
        // Lines come in pages: ask again until none is left, then wait only while following a running step.
        if (lines.length > 0 && !interrupted.aborted) continue;
        if (!values.follow || ended || interrupted.aborted) return 0;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FOLLOW_POLL_MS);
          interrupted.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    });
  },
});

/** `drone-gogs log …`: step logs, with Drone's CLI words. */
export const logCommand = defineCommandGroup({
  name: 'log',
  summary: 'the logs of steps',
  subcommands: { view },
});
