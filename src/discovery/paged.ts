/**
 * Lists read page by page (`limit`, then the `continue` token of the page before), as kubectl does with
 * `--chunk-size=500`: a cluster of 5,000 Nodes answers in pages the apiserver can serve without holding the
 * whole list in one response, and the workstation keeps only what each page is parsed into.
 *
 * The port's `listPage` (the client-repoint work adds it to `KubeApi`) is used when the API has it; an API
 * without it (a test double, an older wiring) is read whole with `list`.
 */
import type { KubeApi, KubeObject } from '../engine/model/ports.js';

/** kubectl's default chunk size. */
export const DEFAULT_PAGE_SIZE = 500;

interface Pager {
  listPage?(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string; limit: number; continue?: string },
  ): Promise<{ items: KubeObject[]; continue: string | null }>;
}

export interface PagedListOptions<T> {
  namespace?: string;
  labelSelector?: string;
  limit?: number;
  /** What a page is kept as (parsed, reduced); `offset` is the index of the page's first item in the whole list. */
  map: (items: KubeObject[], offset: number) => T[];
}

export interface PagedList<T> {
  items: T[];
  /** Requests made (1 for a list read whole). */
  pages: number;
  /** Times the list started over because the apiserver expired the continue token (HTTP 410). */
  restarts: number;
}

const MAX_RESTARTS = 2;

/** Every item of a list, page by page, each page mapped as it arrives. */
export async function listPaged<T>(k: KubeApi, apiVersion: string, kind: string, opts: PagedListOptions<T>): Promise<PagedList<T>> {
  const pager = k as KubeApi & Pager;
  if (typeof pager.listPage !== 'function') {
    const items = await k.list(apiVersion, kind, opts.namespace, opts.labelSelector);
    return { items: opts.map(items, 0), pages: 1, restarts: 0 };
  }
  const limit = opts.limit ?? DEFAULT_PAGE_SIZE;
  let pages = 0;
  for (let restarts = 0; ; restarts++) {
    const out: T[] = [];
    let token: string | undefined;
    let offset = 0;
    const seen = new Set<string>();
    try {
      for (;;) {
        const page = await pager.listPage(apiVersion, kind, {
          ...(opts.namespace ? { namespace: opts.namespace } : {}),
          ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          limit,
          ...(token ? { continue: token } : {}),
        });
        pages++;
        for (const item of opts.map(page.items, offset)) out.push(item);
        offset += page.items.length;
        if (!page.continue) return { items: out, pages, restarts };
        if (seen.has(page.continue)) throw new Error(`${kind} list: the API returned the same continue token twice`);
        seen.add(page.continue);
        token = page.continue;
      }
    } catch (e) {
      // A continue token older than the apiserver's compaction window answers 410 Gone: read the list again.
      const status = (e as { status?: unknown }).status;
      if (status === 410 && token !== undefined && restarts < MAX_RESTARTS) continue;
      throw e;
    }
  }
}
