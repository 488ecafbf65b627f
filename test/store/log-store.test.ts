import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine, StepLogKey } from '../../sidecar/core/index.ts';
import { createStoredLogSink } from '../../sidecar/store/index.ts';
import { openTestStores } from '../support/stores.ts';

type TestStores = Awaited<ReturnType<typeof openTestStores>>;

const key: StepLogKey = { repo: 'octo/hello', build: '7', stage: '1', step: 'test' };

function lines(from: number, count: number, text = (n: number) => `line ${n}`): LogLine[] {
  return Array.from({ length: count }, (_, index) => ({
    number: from + index,
    text: text(from + index),
    time: 0,
  }));
}

describe('log store on a freshly migrated libSQL file', () => {
  let stores: TestStores;
  beforeEach(async () => {
    stores = await openTestStores();
  });
  afterEach(async () => {
    await stores.dispose();
  });

  it('keeps each step log apart, in order, and reads it from any line on, in pages', async () => {
    await stores.logs.append(key, lines(0, 3));
    await stores.logs.append(
      { ...key, step: 'other' },
      lines(0, 2, (n) => `other ${n}`),
    );
    await stores.logs.append(key, lines(3, 4000));
    expect(await stores.logs.lastLine(key)).toBe(4002);
    expect(await stores.logs.lastLine({ ...key, step: 'none' })).toBe(-1);
    const all = await stores.logs.read(key);
    expect(all.map((line) => line.number)).toEqual(lines(0, 4003).map((line) => line.number));
    expect(all[4002]?.text).toBe('line 4002');
    const page = await stores.logs.read(key, { afterLine: 1, limit: 2 });
    expect(page.map((line) => line.text)).toEqual(['line 2', 'line 3']);
    expect((await stores.logs.read({ ...key, step: 'other' })).map((line) => line.text)).toEqual([
      'other 0',
      'other 1',
    ]);
  });

  it('never stores a line twice: a retried or replayed write keeps only lines above what is stored', async () => {
    expect(await stores.logs.append(key, lines(0, 5))).toHaveLength(5);
    expect(await stores.logs.append(key, lines(0, 5))).toEqual([]);
    expect((await stores.logs.append(key, lines(3, 4))).map((line) => line.number)).toEqual([5, 6]);
    expect((await stores.logs.read(key)).map((line) => line.number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('splits a huge chunk into bounded rows and reads it back whole', async () => {
    const big = lines(0, 40, (n) => `${n}:${'x'.repeat(60_000)}`);
    await stores.logs.append(key, big);
    const client = createClient({ url: stores.url });
    const rows = await client.execute('select count(*) as n, max(length(lines)) as longest from log_chunks');
    client.close();
    expect(Number(rows.rows[0]?.n)).toBeGreaterThan(5);
    expect(Number(rows.rows[0]?.longest)).toBeLessThan(300_000);
    expect(await stores.logs.read(key)).toEqual(big);
  });

  it('is the sink of a stage run: stores each chunk under the run ids and the step, then publishes it', async () => {
    const published: [StepLogKey, number[]][] = [];
    const endedKeys: StepLogKey[] = [];
    const sink = createStoredLogSink({
      store: stores.logs,
      ids: { instance: 'i', repo: key.repo, build: key.build, stage: key.stage },
      live: {
        publish: (at, chunk) => published.push([at, chunk.map((line) => line.number)]),
        end: (at) => endedKeys.push(at),
        follow: () => {
          throw new Error('not used');
        },
      },
    });
    await sink.write('test', lines(0, 2));
    await sink.write('test', lines(0, 3));
    await sink.end?.('test');
    expect((await stores.logs.read(key)).map((line) => line.number)).toEqual([0, 1, 2]);
    expect(published).toEqual([
      [key, [0, 1]],
      [key, [2]],
    ]);
    expect(endedKeys).toEqual([key]);
  });
});
