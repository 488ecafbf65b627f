#!/usr/bin/env node
// Runs sidecar/cli.ts with a Node that strips TypeScript types (>= 22.18). When the Node on PATH is older,
// re-run under the Node 24 that `npm install` put in node_modules (the `node` devDependency).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
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
  // The child gets a session of its own, so that a Ctrl-C on the terminal reaches it once, from here, and not
  // twice (the terminal's and ours): a second SIGINT means "stop now" to the commands.
  const child = spawn(bundled, [cli, ...process.argv.slice(2)], { stdio: 'inherit', detached: true });
  const forwarded = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const signal of forwarded) process.on(signal, forward);
  child.once('error', (error) => {
    console.error(`drone-gogs: cannot start ${bundled}: ${error.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    for (const name of forwarded) process.off(name, forward);
    if (signal === null) process.exit(code ?? 1);
    // Die of the same signal, so that whoever started us sees the usual status; 128 + its number if we survive it.
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0));
  });
}
