// Events: a live table (page 1 refreshes itself) with filters kept in the URL hash, so a filtered
// view can be bookmarked or shared (the hash never holds the token).
import { api, query } from '../api.js';
import { badge, every, field, h, replace, select, timeCell } from '../dom.js';
import { makePager } from '../pager.js';

const STATUSES = ['received', 'delivered', 'failed', 'dead'];
const RANGES = [
  ['', 'Any time'],
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['custom', 'Custom…'],
];
const RANGE_MS = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const REFRESH_MS = 2500;

export function mount(root, route, ctx) {
  const state = {
    source: route.params.source ?? '',
    type: route.params.type ?? '',
    status: route.params.status ?? '',
    range: route.params.range ?? '',
    since: route.params.since ?? '',
    until: route.params.until ?? '',
    key: route.params.key ?? '',
    limit: route.params.limit ?? '50',
  };
  const seen = new Set();
  let firstLoad = true;

  const controls = {
    source: select('source', [['', 'All sources'], ...ctx.sources.map((s) => [s, s])], state.source),
    type: h('input', { name: 'type', type: 'text', placeholder: 'e.g. charge.succeeded', value: state.type, spellcheck: 'false' }),
    status: select('status', [['', 'Any status'], ...STATUSES.map((s) => [s, s])], state.status),
    range: select('range', RANGES, state.range),
    since: h('input', { name: 'since', type: 'datetime-local', value: state.since }),
    until: h('input', { name: 'until', type: 'datetime-local', value: state.until }),
    key: h('input', { name: 'key', type: 'search', placeholder: 'Event key starts with…', value: state.key, spellcheck: 'false' }),
    limit: select(
      'limit',
      [
        ['25', '25'],
        ['50', '50'],
        ['100', '100'],
      ],
      state.limit,
    ),
  };
  const customRange = h('span.custom-range', {}, field('From', controls.since), field('To', controls.until));
  const pager = makePager(() => load());
  const body = h('tbody');
  const summary = h('span.muted');
  const table = h(
    'table.grid.events',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Source', 'Type', 'Event key', 'Received', 'Status'].map((c) => h('th', {}, c)),
      ),
    ),
    body,
  );

  let debounce = null;
  const onFilter = (e) => {
    clearTimeout(debounce);
    debounce = setTimeout(applyFilters, e.type === 'input' ? 300 : 0);
  };
  for (const control of Object.values(controls)) {
    control.addEventListener('change', onFilter);
    if (control.tagName === 'INPUT') control.addEventListener('input', onFilter);
  }

  function applyFilters() {
    for (const [k, control] of Object.entries(controls)) state[k] = control.value.trim();
    customRange.hidden = state.range !== 'custom';
    const shown = Object.fromEntries(Object.entries(state).filter(([k, v]) => v !== '' && !(k === 'limit' && v === '50')));
    if (state.range !== 'custom') {
      delete shown.since;
      delete shown.until;
    }
    history.replaceState(null, '', `#/events${query(shown)}`);
    pager.reset();
    seen.clear();
    firstLoad = true;
    load();
  }

  function apiParams() {
    const params = { source: state.source, type: state.type, status: state.status, key_prefix: state.key, limit: state.limit, cursor: pager.cursor() };
    if (RANGE_MS[state.range]) params.since = new Date(Date.now() - RANGE_MS[state.range]).toISOString();
    if (state.range === 'custom') {
      if (state.since) params.since = new Date(state.since).toISOString();
      if (state.until) params.until = new Date(state.until).toISOString();
    }
    return params;
  }

  async function load() {
    try {
      const page = await api(`/admin/api/events${query(apiParams())}`);
      render(page);
    } catch (err) {
      ctx.fail(err);
    }
  }

  function render(page) {
    const rows = page.events.map((e) => {
      const fresh = !firstLoad && !seen.has(e.id);
      seen.add(e.id);
      const open = () => (location.hash = `#/events/${encodeURIComponent(e.id)}`);
      return h(
        'tr',
        { class: fresh ? 'fresh' : '', dataset: { id: e.id, status: e.status }, onclick: open },
        h('td', {}, e.source),
        h('td', {}, h('code', {}, e.type)),
        h('td', {}, h('a', { href: `#/events/${encodeURIComponent(e.id)}`, class: 'key' }, e.event_key)),
        h('td', {}, timeCell(e.received_at)),
        h('td', {}, badge(e.status)),
      );
    });
    firstLoad = false;
    if (rows.length === 0) rows.push(h('tr.empty', {}, h('td', { colspan: 5 }, 'No events match these filters.')));
    replace(body, rows);
    pager.loaded(page.next_cursor, page.events.length);
    const live = pager.firstPage();
    ctx.setLive(live);
    summary.textContent = live ? 'Newest first · updates live' : 'Live updates pause on older pages';
  }

  customRange.hidden = state.range !== 'custom';
  root.append(
    h('div.view-head', {}, h('h1', {}, 'Events'), summary),
    h(
      'form.filters',
      { onsubmit: (e) => e.preventDefault(), role: 'search' },
      field('Source', controls.source),
      field('Type', controls.type),
      field('Status', controls.status),
      field('Received', controls.range),
      customRange,
      field('Search', controls.key),
      field('Per page', controls.limit),
    ),
    h('div.card.table-card', {}, table),
    pager.element,
  );

  // Page 1 refreshes itself; older pages stay still so rows don't move under the reader.
  const stop = every(REFRESH_MS, () => (pager.firstPage() || firstLoad ? load() : undefined));
  return () => {
    stop();
    clearTimeout(debounce);
  };
}
