/**
 * `drone-gogs repo deliveries OWNER/NAME`: the sidecar beside the Gogs test double, pushes made on the double's
 * real git repository and turned into builds (or not) by the trigger; the command shows what became of each.
 */
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryView } from '../../sidecar/core/index.ts';
import { NO_ENGINE, type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const PIPELINE = `kind: pipeline
type: docker
name: test
steps:
- name: test
  image: busybox
  commands: [echo test]
`;
/** A branch name git accepts that would reorder the line on a terminal. */
const HOSTILE_BRANCH = 'feat/\u202eevil';
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('drone-gogs repo deliveries', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  it('lists the deliveries newest first with the build each became or why there is none', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const missing = await t.push('master', { 'a.txt': '1' }, 'no ci yet');
    await t.settled(missing.deliveries[0]?.id ?? '');
    const skipped = await t.push('master', { '.drone.yml': PIPELINE }, 'add ci [skip ci]');
    await t.settled(skipped.deliveries[0]?.id ?? '');
    const built = await t.push('master', { 'b.txt': '2' }, 'build me');
    await t.settled(built.deliveries[0]?.id ?? '');
    const hostile = await t.push(HOSTILE_BRANCH, { 'c.txt': '3' }, 'elsewhere');
    const hostilePush = hostile.deliveries.find((each) => each.event === 'push');
    await t.settled(hostilePush?.id ?? '');

    const table = await t.cli('repo', 'deliveries', 'ALICE/app');
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(RAW);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DELIVERY\s+EVENT\s+REF\s+COMMIT\s+RECEIVED\s+STATUS\s+OUTCOME$/);
    const rowOf = (id: string) => lines.find((line) => line.startsWith(id))?.split(/\s{2,}/);
    expect(rowOf(hostilePush?.id ?? '-')).toEqual([
      hostilePush?.id,
      'push/pushed',
      'refs/heads/feat/\\u202eevil',
      hostile.sha.slice(0, 8),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      'done',
      'build #2',
    ]);
    expect(rowOf(built.deliveries[0]?.id ?? '-')).toEqual([
      built.deliveries[0]?.id,
      'push/pushed',
      'refs/heads/master',
      built.sha.slice(0, 8),
      expect.any(String),
      'done',
      'build #1',
    ]);
    expect(rowOf(skipped.deliveries[0]?.id ?? '-')?.slice(5)).toEqual([
      'ignored',
      'skip-marker: the commit message says [skip ci]',
    ]);
    expect(rowOf(missing.deliveries[0]?.id ?? '-')?.[6]).toMatch(
      /^no \.drone\.yml at [0-9a-f]{8}; `drone-gogs repo set alice\/app --config=PATH` names another file$/,
    );
    // Newest first: the hostile branch's push before the build, before the skip, before the missing file.
    const order = [
      hostilePush?.id,
      built.deliveries[0]?.id,
      skipped.deliveries[0]?.id,
      missing.deliveries[0]?.id,
    ];
    const positions = order.map((id) => lines.findIndex((line) => line.startsWith(id ?? '-')));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    const json = JSON.parse(
      (await t.cli('repo', 'deliveries', 'alice/app', '--json')).stdout,
    ) as DeliveryView[];
    const byId = new Map(json.map((each) => [each.deliveryId, each]));
    expect(byId.get(built.deliveries[0]?.id ?? '')).toMatchObject({
      event: 'push',
      ref: 'refs/heads/master',
      after: built.sha,
      status: 'done',
      buildNumber: 1,
      synthetic: false,
    });
    expect(byId.get(skipped.deliveries[0]?.id ?? '')).toMatchObject({
      status: 'ignored',
      buildNumber: null,
      reason: 'skip-marker: the commit message says [skip ci]',
    });
    expect(byId.get(hostilePush?.id ?? '')?.ref).toBe(`refs/heads/${HOSTILE_BRANCH}`);
    expect(json.map((each) => each.receivedAt)).toEqual(
      [...json.map((each) => each.receivedAt)].sort((a, b) => b - a),
    );
    expect(JSON.stringify(json)).not.toContain('commits');

    const limited = await t.cli('repo', 'deliveries', 'alice/app', '--limit', '2');
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(3);
  });

  it('drops the payloads of processed deliveries from the database file and keeps what the list shows', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { '.drone.yml': PIPELINE }, 'add ci');
    const settled = await t.settled(push.deliveries[0]?.id ?? '');
    expect(settled.status).toBe('done');
    const client = createClient({ url: t.sidecar.services.config.database.url });
    try {
      const rows = await client.execute({
        sql: 'select body, headers, ref, after, status_reason from deliveries where delivery_id = ?',
        args: [settled.deliveryId],
      });
      expect(rows.rows[0]).toMatchObject({ body: '', ref: 'refs/heads/master', after: push.sha });
      expect(JSON.parse(String(rows.rows[0]?.headers))).toMatchObject({ 'X-Gogs-Event': 'push' });
    } finally {
      client.close();
    }
  });

  it('refuses an unknown repository and a limit out of range', async () => {
    t = await startSidecarBesideGogs({ env: NO_ENGINE });
    const unknown = await t.cli('repo', 'deliveries', 'alice/nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('alice/nope is not known yet');
    for (const limit of ['0', '201', 'ten']) {
      const refused = await t.cli('repo', 'deliveries', 'alice/app', '--limit', limit);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--limit takes a number of deliveries from 1 to 200');
    }
    const help = await t.cli('repo', 'deliveries', '--help');
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('Usage: drone-gogs repo deliveries OWNER/NAME [--limit N] [--json]');
  });
});
