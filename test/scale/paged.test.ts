/**
 * Discovery reads Node lists page by page (limit/continue) from a fake paged API: every item once, in order,
 * each page mapped as it arrives; an expired continue token (410) starts the list over; an API without
 * listPage is read whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listPaged } from '../../src/discovery/paged.js';
import { parseNodes } from '../../src/discovery/parse.js';
import { KubeApiError } from '../../src/kube/client.js';
import type { KubeApi, KubeObject, ListPageOptions } from '../../src/engine/model/ports.js';

const node = (i: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `kwok-${i}`, labels: { type: 'kwok' } },
  status: { addresses: [{ type: 'InternalIP', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }], conditions: [{ type: 'Ready', status: 'True' }] },
});

/** A fake apiserver holding `n` Nodes, answering pages as the real one does (continue = the next index). */
function pagedApi(n: number, opts: { expireAt?: number } = {}) {
  const all = Array.from({ length: n }, (_, i) => node(i));
  const asked: string[] = [];
  let expired = false;
  const api: KubeApi = {
    get: async () => null,
    replace: async (_r, o) => o,
    list: async () => {
      throw new Error('discovery pages; it never lists Nodes whole');
    },
    listPage: async (_v: string, kind: string, o: ListPageOptions) => {
      asked.push(`${kind} limit=${o.limit}${o.continue ? ` continue=${o.continue}` : ''}`);
      const from = o.continue ? Number(o.continue) : 0;
      if (opts.expireAt !== undefined && !expired && from === opts.expireAt) {
        expired = true;
        throw new KubeApiError('Node list: the provided continue parameter is too old', 410, 'Expired');
      }
      const to = Math.min(all.length, from + o.limit);
      return { items: all.slice(from, to), continue: to < all.length ? String(to) : null };
    },
  };
  return { api, asked };
}

test('5,000 Nodes are read 500 at a time, every Node once and in order', async () => {
  const { api, asked } = pagedApi(5000);
  const pageSizes: number[] = [];
  const r = await listPaged(api, 'v1', 'Node', {
    map: (items, offset) => {
      pageSizes.push(items.length);
      return parseNodes(items, offset);
    },
  });
  assert.equal(r.pages, 10);
  assert.equal(r.restarts, 0);
  assert.deepEqual(pageSizes, Array(10).fill(500));
  assert.equal(asked[0], 'Node limit=500');
  assert.equal(asked[1], 'Node limit=500 continue=500');
  assert.equal(r.items.length, 5000);
  assert.deepEqual(r.items.map((n) => n.name), Array.from({ length: 5000 }, (_, i) => `kwok-${i}`));
  assert.equal(r.items[4999]!.internalIP, '10.0.19.135');
});

test('a last partial page and a custom limit', async () => {
  const { api, asked } = pagedApi(1001);
  const r = await listPaged(api, 'v1', 'Node', { limit: 250, map: (items) => items });
  assert.equal(r.items.length, 1001);
  assert.equal(asked.length, 5);
});

test('an expired continue token (410) reads the list again from the start', async () => {
  const { api, asked } = pagedApi(1200, { expireAt: 1000 });
  const r = await listPaged(api, 'v1', 'Node', { map: (items, offset) => parseNodes(items, offset) });
  assert.equal(r.restarts, 1);
  assert.equal(r.items.length, 1200, 'no Node twice after the restart');
  assert.equal(new Set(r.items.map((n) => n.name)).size, 1200);
  assert.deepEqual(asked, ['Node limit=500', 'Node limit=500 continue=500', 'Node limit=500 continue=1000', 'Node limit=500', 'Node limit=500 continue=500', 'Node limit=500 continue=1000']);
});

test('a bad Node on a later page is named by its index in the whole list', async () => {
  const { api } = pagedApi(1200);
  const bad: KubeApi = {
    ...api,
    listPage: async (v, k, o) => {
      const p = await api.listPage(v, k, o);
      return o.continue === '1000' ? { ...p, items: p.items.map((x, i) => (i === 3 ? { ...x, metadata: {} } : x)) } : p;
    },
  };
  await assert.rejects(listPaged(bad, 'v1', 'Node', { map: (items, offset) => parseNodes(items, offset) }), /item 1003:/);
});

test('a continue token repeated is an error, not a loop', async () => {
  const api: KubeApi = { get: async () => null, replace: async (_r, o) => o, list: async () => [], listPage: async () => ({ items: [node(1)], continue: 'same' }) };
  await assert.rejects(listPaged(api, 'v1', 'Node', { map: (i) => i }), /same continue token twice/);
});

test('an API without listPage is read whole', async () => {
  const api = { get: async () => null, replace: async (_r: unknown, o: KubeObject) => o, list: async () => [node(1), node(2)] } as unknown as KubeApi;
  const r = await listPaged(api, 'v1', 'Node', { map: (i) => i });
  assert.deepEqual([r.items.length, r.pages], [2, 1]);
});
