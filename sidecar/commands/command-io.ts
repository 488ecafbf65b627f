/** What a CLI command may touch: its output streams and the environment, passed in so tests can drive it. */
export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** True when stdout is a terminal (colours, progress). */
  isTTY: boolean;
}

/** A command returns its exit code; it never calls process.exit itself. */
export type Command = (args: string[], io: CommandIO) => Promise<number>;
