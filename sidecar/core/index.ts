export * from './errors.ts';
export * from './gogs-client.ts';
export * from './hook-event.ts';
export * from './plan.ts';
export * from './runner.ts';
export * from './store.ts';
export * from './telemetry.ts';
