import type { Command } from '../../sidecar/commands/command-io.ts';

export interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI command in process, as the `drone-gogs` binary would, and captures what it prints. */
export async function runCommand(
  command: Command,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; isTTY?: boolean; interrupted?: AbortSignal },
): Promise<CommandOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await command(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    cwd: options.cwd,
    isTTY: options.isTTY ?? false,
    interrupted: () => options.interrupted ?? new AbortController().signal,
  });
  return { code, stdout, stderr };
}
