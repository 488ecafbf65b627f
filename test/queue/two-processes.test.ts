/**
 * Two `drone-gogs serve` processes on one database file, beside the Gogs test double and the real dockerd: Gogs
 * delivers every push to the first, both take deliveries and stages from the database, and every stage runs
 * exactly once, by one of them. Checked in the database file itself.
 */
import { createClient } from '@libsql/client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GogsForServe, startGogsForServe } from '../support/gogs-for-serve.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarProcess, startSidecarProcess } from '../support/sidecar-process.ts';

const PIPELINE = `kind: pipeline
type: docker
name: default
steps:
- name: say
  image: ${BUSYBOX_IMAGE}
  pull: never
  commands:
  - echo "build \${DRONE_BUILD_NUMBER}"
`;
const PUSHES = 20;

describe('two serve processes on one database', () => {
  let t: GogsForServe;
  const sidecars: SidecarProcess[] = [];
  beforeAll(() => ensureBusyboxImage());
  afterEach(async () => {
    await Promise.all(sidecars.splice(0).map((sidecar) => sidecar.stop()));
    await t.dispose();
  });

  // 20 builds through two processes on a 2-core machine: minutes when it is busy, not 30 s.
  it(`runs each stage of ${PUSHES} pushes once, by one of them`, async () => {
    t = await startGogsForServe();
    const { dir, env } = t;
    // The first start generates the secret key; the second reads it.
    sidecars.push(await startSidecarProcess({ cwd: dir.path, env }));
    sidecars.push(await startSidecarProcess({ cwd: dir.path, env }));
    const enabled = await t.enable(`${sidecars[0]?.url}/hook`);
    expect(enabled.code).toBe(0);

    await t.push({ '.drone.yml': PIPELINE }, 'ci');
    for (let index = 1; index < PUSHES; index++) await t.push({ 'n.txt': String(index) }, `push ${index}`);

    const client = createClient({ url: t.databaseUrl });
    try {
      for (;;) {
        const done = await client.execute(
          "select count(*) as n from builds where status in ('success', 'failure', 'error', 'killed')",
        );
        if (Number(done.rows[0]?.n) === PUSHES) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const builds = await client.execute('select number, status from builds order by number');
      expect(builds.rows.map((row) => [row.number, row.status])).toEqual(
        Array.from({ length: PUSHES }, (_, index) => [index + 1, 'success']),
      );
      const claims = await client.execute(
        "select stage_id, count(*) as n from changes where kind = 'stage' and detail = 'running' group by stage_id",
      );
      expect(claims.rows).toHaveLength(PUSHES);
      expect(claims.rows.every((row) => Number(row.n) === 1)).toBe(true);
      const owners = await client.execute('select distinct claimed_by from stages');
      const instances = await client.execute("select id from instances where id like 'serve-%'");
      expect(instances.rows).toHaveLength(2);
      const ids = new Set(instances.rows.map((row) => row.id));
      for (const row of owners.rows) expect(ids.has(row.claimed_by)).toBe(true);
      const deliveries = await client.execute("select count(*) as n from deliveries where status = 'done'");
      expect(Number(deliveries.rows[0]?.n)).toBe(PUSHES);
    } finally {
      client.close();
    }
  }, 180_000);
});
