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

/**
 * The keys that start with `prefix`, as a range an index on the key can serve: `from <= key < to` in code point
 * order (SQLite's binary collation, PostgreSQL's "C"; UTF-8 bytes sort the same way). `to` is the prefix with its
 * last code point raised by one (surrogates skipped); null when no such string exists (a prefix of U+10FFFF only),
 * and the caller then also compares the prefix itself.
 */
export function prefixRange(prefix: string): { from: string; to: string | null } {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return { from: prefix, to: points.join('') + String.fromCodePoint(next) };
    }
  }
  return { from: prefix, to: null };
}

/** Where a listing resumes: null for the first page; a cursor that does not decode throws InvalidCursorError (a 400). */
export function cursorPosition(cursor: string | null | undefined): CursorPosition | null {
  if (!cursor) return null;
  const position = decodeCursor(cursor);
  if (!position) throw new InvalidCursorError();
  return position;
}
