export { createCounters, renderPrometheus } from './counters.ts';
export { createLogger, type LogLevel, silentLogger } from './logger.ts';
