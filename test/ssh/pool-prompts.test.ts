/**
 * Hosts connect in parallel (discovery reads up to 50 at once), but an operator answers one host-key question at
 * a time: the pool asks them one after another, in the order the connections asked, and a refusal or an error in
 * one answer does not stop the next question.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostPool } from '../../src/ssh/pool.js';
import type { HostKeyPolicy } from '../../src/ssh/handshake.js';

test('host-key questions from parallel connections are asked one at a time, in order', async () => {
  let open = 0;
  let most = 0;
  const asked: string[] = [];
  const pool = new HostPool([], {
    onUnknownHost: async (host) => {
      open++;
      most = Math.max(most, open);
      asked.push(host);
      await new Promise((r) => setTimeout(r, 5));
      open--;
      if (host === 'h2') throw new Error('the terminal went away');
      return host !== 'h3';
    },
  });
  // The policy every connection of the pool gets (private: what the handshake calls).
  const policy = (pool as unknown as { hostKeyPolicy(): HostKeyPolicy }).hostKeyPolicy();
  const ask = (h: string) => policy.onUnknownHost!(h, 'SHA256:x', { keyType: 'ssh-ed25519' });
  const answers = await Promise.allSettled(['h1', 'h2', 'h3', 'h4'].map(ask));
  assert.equal(most, 1, 'two questions were open at once');
  assert.deepEqual(asked, ['h1', 'h2', 'h3', 'h4']);
  assert.deepEqual(
    answers.map((a) => (a.status === 'fulfilled' ? a.value : 'error')),
    [true, 'error', false, true],
  );
});
