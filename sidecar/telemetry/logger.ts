import type { LogFields, Logger } from '../core/index.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** A logger writing one line per entry: `text` for people, `json` for log shippers. */
export function createLogger(options: {
  format: 'text' | 'json';
  level: LogLevel;
  write?: (line: string) => void;
  clock?: () => Date;
}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = options.clock ?? (() => new Date());
  const threshold = LEVELS[options.level];
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LEVELS[level] < threshold) return;
    const time = clock().toISOString();
    if (options.format === 'json') {
      write(JSON.stringify({ time, level, msg: sanitize(message), ...fields }));
      return;
    }
    const rendered = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${formatValue(value)}`)
      .join(' ');
    write(`${time} ${level.toUpperCase().padEnd(5)} ${sanitize(message)}${rendered ? ` ${rendered}` : ''}`);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** Control characters in messages could forge log lines or colour a terminal; show them escaped. */
function sanitize(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f]/g,
    (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function formatValue(value: string | number | boolean | null | undefined): string {
  const text = sanitize(String(value)).replace(/\n/g, '\\n');
  return /[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text;
}

/** A logger that drops everything, for tests and quiet commands. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
