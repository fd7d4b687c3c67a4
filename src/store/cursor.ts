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
