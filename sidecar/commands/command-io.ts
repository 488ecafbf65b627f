/** What a CLI command may touch: its output streams and the environment, passed in so tests can drive it. */
export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** True when stdout is a terminal (colours, progress). */
  isTTY: boolean;
  /**
   * Aborted by the first SIGINT or SIGTERM, with the signal's name as the reason. Asking for it is how a command
   * says it handles them; a second signal then ends the process as usual.
   */
  interrupted(): AbortSignal;
}

/** A command returns its exit code; it never calls process.exit itself. */
export type Command = (args: string[], io: CommandIO) => Promise<number>;
