import { type AuditRecord, LOCAL_ADMIN } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { durationMs } from './durations.ts';
import { withServices } from './with-services.ts';

/** `--since`: a duration back from now (`90m`, `24h`, `30d`) or a date and time (`2026-12-01`, ISO 8601). */
export function sinceOf(text: string, now: number): number | null {
  const ago = durationMs(text);
  if (ago !== null) return now - ago;
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

/** One row as a JSON line: the stored fields, the time also readable, the detail as an object. */
function jsonLine(row: AuditRecord): string {
  return `${JSON.stringify({
    seq: row.seq,
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    decision: row.decision,
    detail: JSON.parse(row.detail) as unknown,
    key_id: row.keyId,
    prev_hash: row.prevHash,
    hash: row.hash,
  })}\n`;
}

const exportRows = defineCommand({
  name: 'audit export',
  args: '[--since WHEN]',
  summary: 'the audit log as JSON lines, oldest first',
  details: `  --since WHEN   only rows from then on: a duration back from now (90m, 24h, 30d) or a date
                 (2026-12-01, 2026-12-01T08:00:00Z)

  Each line carries the row's seal (hash) and the seal before it (prev_hash): a copy kept elsewhere shows later
  whether rows were taken from the end, which the chain alone cannot.
`,
  options: { since: { type: 'string' } },
  async run({ values, usageError }, io) {
    const sinceAt = values.since === undefined ? undefined : sinceOf(values.since, Date.now());
    if (sinceAt === null)
      return usageError('--since takes a duration (90m, 24h, 30d) or a date (2026-12-01)');
    return withServices(io, async (services) => {
      for await (const row of services.auditTrail.rows(LOCAL_ADMIN, sinceAt === undefined ? {} : { sinceAt }))
        io.stdout(jsonLine(row));
      return 0;
    });
  },
});

const verify = defineCommand({
  name: 'audit verify',
  summary: 'check that no row of the audit log was altered, deleted or inserted',
  details: `  Exits 0 when the chain is whole, 1 naming the first row that is not. Rows are sealed with a key derived
  from the secret key (DRONE_GOGS_SECRET_KEY or data/secret.key), which the database does not hold.
`,
  run: (_input, io) =>
    withServices(io, async (services) => {
      const verdict = await services.auditTrail.verify(LOCAL_ADMIN);
      if (verdict.ok) {
        io.stdout(
          verdict.head === null
            ? 'audit log: empty\n'
            : `audit log: ${verdict.rows} rows, intact; the last, row ${verdict.head.seq}, is sealed ${verdict.head.hash}\n`,
        );
        return 0;
      }
      io.stderr(
        `audit log: ${verdict.message}\n  The rows before it are intact. Compare with an export kept elsewhere (\`drone-gogs audit export\`) or a backup of the database.\n`,
      );
      return 1;
    }),
});

/** `drone-gogs audit …`: the tamper-evident audit log. */
export const auditCommand = defineCommandGroup({
  name: 'audit',
  summary: 'the audit log: export and verify',
  subcommands: { export: exportRows, verify },
});
