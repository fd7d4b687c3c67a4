// Cursor pagination: the API gives next_cursor for older rows; we keep the cursors we came through
// so "Newer" can go back. Page 1 has no cursor (and is the one that live-updates).
import { h } from './dom.js';

export function makePager(onChange) {
  let stack = [null];
  let next = null;
  const newer = h('button.ghost', { type: 'button', 'data-test': 'newer', onclick: () => go(-1) }, '← Newer');
  const older = h('button.ghost', { type: 'button', 'data-test': 'older', onclick: () => go(1) }, 'Older →');
  const label = h('span.muted');
  const element = h('div.pager', {}, newer, label, older);

  function go(step) {
    if (step > 0 && next) stack.push(next);
    if (step < 0 && stack.length > 1) stack.pop();
    onChange();
  }

  return {
    element,
    cursor: () => stack[stack.length - 1],
    firstPage: () => stack.length === 1,
    reset() {
      stack = [null];
      next = null;
    },
    /** After a page loaded: remember where "Older" goes and update the buttons. */
    loaded(nextCursor, shown) {
      next = nextCursor;
      newer.disabled = stack.length === 1;
      older.disabled = !nextCursor;
      label.textContent = `Page ${stack.length} · ${shown} shown`;
    },
  };
}
