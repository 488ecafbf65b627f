/**
 * The migration that keys step logs on the step's row, applied to a database that holds data of the version
 * before (migrations up to 0005_settings_and_secrets): nothing but the old log rows goes away.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStores } from '../../sidecar/store/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { repoFacts, testDelivery } from '../support/stores.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const BEFORE = '0005_settings_and_secrets';

/** The checked-in migrations as they were before this one: the folder copied, the journal cut after {@link BEFORE}. */
async function migrationsBefore(dir: string): Promise<string> {
  const folder = join(dir, 'drizzle-before');
  await cp(join(import.meta.dirname, '../../drizzle'), folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
    entries: { idx: number; tag: string }[];
  };
  const last = journal.entries.findIndex((entry) => entry.tag === BEFORE);
  expect(last).toBeGreaterThanOrEqual(0);
  for (const entry of journal.entries.slice(last + 1)) await rm(join(folder, `${entry.tag}.sql`));
  journal.entries = journal.entries.slice(0, last + 1);
  await writeFile(journalPath, JSON.stringify(journal));
  return folder;
}

const count = async (client: ReturnType<typeof createClient>, table: string) =>
  Number((await client.execute(`select count(*) as n from ${table}`)).rows[0]?.n);

describe('migrating step logs to the step row', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let url: string;
  beforeEach(async () => {
    dir = await makeTempDir('drone-gogs-migration-');
    url = pathToFileURL(join(dir.path, 'old.db')).href;
  });
  afterEach(() => dir.remove());

  it('replaces the old log rows with a table keyed on steps, keeping every other row', async () => {
    const client = createClient({ url });
    await migrate(drizzle(client), { migrationsFolder: await migrationsBefore(dir.path) });
    // The repository as that version stored it (today's store writes columns added since).
    const facts = repoFacts('alice/app', 1);
    await client.execute({
      sql: 'insert into repos (gogs_id, owner, name, full_name, private, default_branch, clone_url, html_url) values (?, ?, ?, ?, ?, ?, ?, ?)',
      args: [
        facts.gogsId,
        facts.owner,
        facts.name,
        facts.fullName,
        0,
        facts.defaultBranch,
        facts.cloneUrl,
        facts.htmlUrl,
      ],
    });
    const repo = { id: Number((await client.execute('select id from repos')).rows[0]?.id) };
    client.close();

    // The version before: a repository, a delivery, a build with its stage and steps, and a log keyed by names.
    const old = await openStores({ url, migrate: false });
    expect(await old.deliveries.record(testDelivery('d-1', repo.id))).toBe('stored');
    const { build } = await old.builds.create(
      testBuild(repo.id, 'hook:1', {
        stages: [testStage(1, 'default', { steps: [testStep(1, 'clone'), testStep(2, 'test')] })],
      }),
    );
    await old.close();
    const raw = createClient({ url });
    await raw.execute(
      `insert into log_chunks (repo, build, stage, step, seq, last_line, lines) values ('alice/app', '1', '1', 'test', 0, 1, '[{"number":0,"text":"old","time":0},{"number":1,"text":"log","time":0}]')`,
    );
    const before = {
      repos: await count(raw, 'repos'),
      deliveries: await count(raw, 'deliveries'),
      builds: await count(raw, 'builds'),
      stages: await count(raw, 'stages'),
      steps: await count(raw, 'steps'),
      changes: await count(raw, 'changes'),
    };
    expect(before).toMatchObject({ repos: 1, deliveries: 1, builds: 1, stages: 1, steps: 2 });
    raw.close();

    const stores = await openStores({ url });
    const after = createClient({ url });
    try {
      expect({
        repos: await count(after, 'repos'),
        deliveries: await count(after, 'deliveries'),
        builds: await count(after, 'builds'),
        stages: await count(after, 'stages'),
        steps: await count(after, 'steps'),
        changes: await count(after, 'changes'),
      }).toEqual(before);
      const tables = (await after.execute("select name from sqlite_master where type = 'table'")).rows.map(
        (row) => row.name,
      );
      expect(tables).toContain('step_log_chunks');
      expect(tables).not.toContain('log_chunks');
      const keys = await after.execute("select * from pragma_foreign_key_list('step_log_chunks')");
      expect(keys.rows.map((row) => [row.table, row.from, row.to, row.on_delete])).toEqual([
        ['steps', 'step_id', 'id', 'CASCADE'],
      ]);

      // Logs of the migrated build's steps are kept under their rows from now on.
      const found = await stores.builds.get(build.id);
      const test = found?.stages[0]?.steps.find((step) => step.name === 'test');
      if (test === undefined) throw new Error('the step did not survive the migration');
      await stores.logs.append(test.id, [{ number: 0, text: 'new', time: 0 }]);
      expect((await stores.logs.read(test.id)).map((line) => line.text)).toEqual(['new']);
    } finally {
      after.close();
      await stores.close();
    }
  });
});
