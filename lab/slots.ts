/**
 * Subnet slots: each running lab owns one k in 1..250 (subnet 10.200.k.0/24), claimed with an atomic
 * mkdir so labs started at the same moment by different processes never share a subnet.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS } from './layout.js';

export const SLOT_ROOT = '/run/ha-wizard-lab/slots';

interface SlotOwner {
  dir: string;
  name: string;
}

function readOwner(slot: number): SlotOwner | null {
  try {
    return JSON.parse(readFileSync(join(SLOT_ROOT, String(slot), 'owner.json'), 'utf8')) as SlotOwner;
  } catch {
    return null;
  }
}

/**
 * A slot is stale when its lab directory no longer records it (the lab was deleted without `down`).
 * Young slots are never stale: their owner may still be writing lab.json.
 */
function isStale(slot: number): boolean {
  const path = join(SLOT_ROOT, String(slot));
  try {
    if (Date.now() - statSync(path).mtimeMs < 60_000) return false;
  } catch {
    return false;
  }
  const owner = readOwner(slot);
  if (!owner) return true;
  try {
    const lab = JSON.parse(readFileSync(join(owner.dir, 'lab.json'), 'utf8')) as { slot?: number; name?: string };
    return lab.slot !== slot || lab.name !== owner.name;
  } catch {
    return true;
  }
}

export function allocateSlot(owner: SlotOwner): number {
  mkdirSync(SLOT_ROOT, { recursive: true });
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 1; k <= LIMITS.slots; k++) {
      const path = join(SLOT_ROOT, String(k));
      if (pass === 1 && existsSync(path) && isStale(k)) rmSync(path, { recursive: true, force: true });
      try {
        mkdirSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      writeFileSync(join(path, 'owner.json'), `${JSON.stringify(owner)}\n`);
      return k;
    }
  }
  throw new Error(`all ${LIMITS.slots} lab slots in ${SLOT_ROOT} are taken: stop a lab with \`ha-wizard lab down --dir DIR\``);
}

/** Frees the slot if this lab (by directory and name) still owns it. */
export function releaseSlot(slot: number, owner: SlotOwner): void {
  const current = readOwner(slot);
  if (current && (current.dir !== owner.dir || current.name !== owner.name)) return;
  rmSync(join(SLOT_ROOT, String(slot)), { recursive: true, force: true });
}

/** Every claimed slot with its owner (a slot whose owner file is not written yet has none). */
export function slotOwners(): { slot: number; owner: SlotOwner | null }[] {
  let entries: string[];
  try {
    entries = readdirSync(SLOT_ROOT);
  } catch {
    return [];
  }
  return entries.filter((s) => /^\d+$/.test(s)).map((s) => ({ slot: Number(s), owner: readOwner(Number(s)) }));
}
