#!/usr/bin/env node
// Runs sidecar/cli.ts with a Node that strips TypeScript types (>= 22.18). When the Node on PATH is older,
// re-run under the Node 24 that `npm install` put in node_modules (the `node` devDependency).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../sidecar/cli.ts', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 22 || (major === 22 && minor >= 18)) {
  const { main } = await import(cli);
  await main();
} else {
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
    console.error(
      `drone-gogs needs Node >= 22.18 (found ${process.versions.node}); run \`npm install\` first.`,
    );
    process.exit(1);
  }
  const child = spawnSync(bundled, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
