/** `npm run bench`: every benchmark script in this folder, one after another. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const benches = [
  'webhook-inbox.ts',
  'log-writes.ts',
  'pipeline.ts',
  'runner.ts',
  'build-list.ts',
  'policy.ts',
  'auth-check.ts',
  'push-to-step.ts',
].filter(
  (name) =>
    existsSync(join(import.meta.dirname, name)) && (only.length === 0 || only.some((o) => name.includes(o))),
);
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench} ==`);
  const result = spawnSync(process.execPath, [join(import.meta.dirname, bench)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
