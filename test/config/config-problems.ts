import { loadConfig } from '../../sidecar/config/index.ts';
import { AppError } from '../../sidecar/core/index.ts';

/** What loadConfig refuses in `env`, one line per bad setting; throws when it accepts it. */
export function problemsOf(env: Record<string, string | undefined>, cwd = '/srv'): string[] {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof AppError && error.code === 'CONFIG_INVALID')
      return error.details!.problems as string[];
    throw error;
  }
  throw new Error('expected the config to be refused');
}
