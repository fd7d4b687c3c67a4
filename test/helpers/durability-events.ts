/** Every event key a store holds, page by page: to check that nothing answered 200 is missing. */
import type { Store } from '../../src/store/types.ts';

export async function storedKeys(store: Pick<Store, 'listEvents'>): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await store.listEvents({ limit: 500, cursor });
    for (const e of page.items) keys.add(e.eventKey);
    cursor = page.nextCursor;
  } while (cursor);
  return keys;
}
