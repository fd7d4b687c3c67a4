/** Keyset pagination cursors shared by both backends: opaque to clients, (receivedAt, seq) inside. */
export interface CursorPosition {
  receivedAt: number;
  seq: number;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.receivedAt}.${position.seq}`).toString('base64url');
}

/** The position, or null when the cursor is not one we made (the caller answers 400). */
export function decodeCursor(cursor: string): CursorPosition | null {
  const match = /^(\d{1,16})\.(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match) return null;
  const receivedAt = Number(match[1]);
  const seq = Number(match[2]);
  return Number.isSafeInteger(receivedAt) && Number.isSafeInteger(seq) ? { receivedAt, seq } : null;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
  }
}

/**
 * One page from rows fetched with LIMIT limit + 1 (the extra row only says there is more): the items, and a
 * cursor at the last item's (time, seq) when there is more.
 */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, position: (row: R) => CursorPosition): { items: T[]; nextCursor: string | null } {
  const page = rows.length > limit ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { items: page.map(map), nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}
