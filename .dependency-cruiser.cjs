/**
 * The import rules of ../shared/ARCHITECTURE.md ("Rules of the house" 1-3), checked on every test run.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const sdkHomes = [
  ['dockerode', 'runner'],
  ['ssh2', 'runner'],
  ['openid-client', 'identity'],
  ['jose', 'identity'],
  ['oidc-provider', 'test'],
  ['drizzle-orm', 'store'],
  ['drizzle-kit', 'store'],
  ['@libsql/client', 'store'],
  ['libsql', 'store'],
  ['hono', 'http'],
  ['@hono/node-server', 'http'],
  ['astro', 'site'],
];

module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing',
      comment: 'core/ holds the domain types and interfaces; arrows point towards it, never out of it.',
      severity: 'error',
      from: { path: '^sidecar/core/' },
      to: { path: '^sidecar/', pathNot: '^sidecar/core/' },
    },
    {
      name: 'policy-is-pure',
      comment: 'policy/ is the pure decision: it sees core/ types and nothing else (no I/O, no packages).',
      severity: 'error',
      from: { path: '^sidecar/policy/' },
      to: { pathNot: '^sidecar/(policy|core)/' },
    },
    {
      name: 'entry-points-are-not-imported',
      comment:
        'Only cli.ts and its commands reach the composition root; nothing imports cli.ts or http/ internals.',
      severity: 'error',
      from: { path: '^sidecar/', pathNot: '^sidecar/(cli\\.ts|commands/)' },
      to: { path: '^sidecar/(main\\.ts|cli\\.ts|commands/)' },
    },
    {
      name: 'http-only-from-main',
      severity: 'error',
      from: { path: '^sidecar/', pathNot: '^sidecar/(main\\.ts|http/)' },
      to: { path: '^sidecar/http/' },
    },
    {
      name: 'no-test-code-in-the-product',
      severity: 'error',
      from: { path: '^sidecar/' },
      to: { path: '^test/' },
    },
    {
      name: 'modules-meet-at-their-index',
      comment: 'Across modules, import the index.ts, not the internals.',
      severity: 'error',
      from: { path: '^sidecar/([^/]+)/' },
      to: { path: '^sidecar/[^/]+/', pathNot: ['^sidecar/$1/', '^sidecar/[^/]+/index\\.ts$'] },
    },
    {
      name: 'root-files-meet-modules-at-their-index',
      severity: 'error',
      from: { path: '^sidecar/[^/]+\\.ts$' },
      to: { path: '^sidecar/[^/]+/', pathNot: ['^sidecar/[^/]+/index\\.ts$', '^sidecar/commands/'] },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: { path: '^sidecar/' },
      to: { circular: true },
    },
    ...sdkHomes.map(([sdk, home]) => ({
      name: `${sdk.replace(/[@/]/g, '-')}-only-in-${home}`,
      comment: `${sdk} lives in ${home}/ alone; other modules receive an interface from core/.`,
      severity: 'error',
      from: { path: '^sidecar/', pathNot: `^sidecar/${home}/` },
      to: { path: `node_modules/${sdk.replace('/', '\\/')}/` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    moduleSystems: ['es6'],
  },
};
