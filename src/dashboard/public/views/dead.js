// Dead letters: deliveries that gave up (or are failing), replay one, or retry every matching one with
// a progress bar that follows them until they settle.
import { api, query } from '../api.js';
import { badge, every, field, fmtCount, h, replace, select, timeCell, toast } from '../dom.js';
import { makePager } from '../pager.js';

const REFRESH_MS = 3000;

export function mount(root, route, ctx) {
  const state = { status: route.params.status ?? 'dead', destination: route.params.destination ?? '', source: route.params.source ?? '' };
  const controls = {
    status: select(
      'status',
      [
        ['dead', 'dead'],
        ['failed', 'failed (retrying)'],
      ],
      state.status,
    ),
    destination: select('destination', [['', 'All destinations']], state.destination),
    source: select('source', [['', 'All sources'], ...ctx.sources.map((s) => [s, s])], state.source),
  };
  const body = h('tbody');
  const pager = makePager(() => load());
  const retryButton = h('button.primary', { type: 'button', 'data-test': 'retry-all', onclick: () => retryAll() }, 'Retry all matching');
  const progress = h('div.progress-panel', { hidden: true, 'data-test': 'bulk-progress' });
  let stopProgress = null;

  for (const [name, control] of Object.entries(controls)) {
    control.addEventListener('change', () => {
      state[name] = control.value;
      history.replaceState(null, '', `#/dead${query({ ...state, status: state.status === 'dead' ? '' : state.status })}`);
      pager.reset();
      load();
    });
  }

  api('/admin/api/destinations')
    .then(({ destinations }) => {
      replace(
        controls.destination,
        h('option', { value: '' }, 'All destinations'),
        destinations.map((d) => h('option', { value: d.name, selected: d.name === state.destination }, d.name)),
      );
    })
    .catch((err) => ctx.fail(err));

  async function load() {
    try {
      const page = await api(`/admin/api/deliveries${query({ ...state, limit: 50, cursor: pager.cursor() })}`);
      render(page);
    } catch (err) {
      ctx.fail(err);
    }
  }

  function render(page) {
    const rows = page.deliveries.map((d) =>
      h(
        'tr',
        { dataset: { id: d.id, event: d.event_id, status: d.status } },
        h('td', {}, d.destination),
        h('td', {}, d.source),
        h('td', {}, h('code', {}, d.type)),
        h('td', {}, h('a.key', { href: `#/events/${encodeURIComponent(d.event_id)}` }, d.event_key)),
        h('td', {}, badge(d.status)),
        h('td.num', {}, d.attempt_count),
        h('td.error-cell', { title: d.last_error ?? '' }, d.last_error ?? '—'),
        h('td', {}, timeCell(d.updated_at)),
        h('td', {}, h('button.ghost.small', { type: 'button', 'data-test': 'replay-row', onclick: (e) => replayOne(d, e.currentTarget) }, 'Replay')),
      ),
    );
    if (rows.length === 0) rows.push(h('tr.empty', {}, h('td', { colspan: 9 }, state.status === 'dead' ? 'No dead deliveries.' : 'No failing deliveries.')));
    replace(body, rows);
    pager.loaded(page.next_cursor, page.deliveries.length);
    retryButton.disabled = page.deliveries.length === 0;
  }

  async function replayOne(d, button) {
    button.disabled = true;
    try {
      const { requeued } = await api(`/admin/api/events/${encodeURIComponent(d.event_id)}/replay`, { method: 'POST', body: { destination: d.destination } });
      toast(`Replay queued (${requeued}) for ${d.event_key} → ${d.destination}`, 'ok');
      await load();
    } catch (err) {
      button.disabled = false;
      ctx.fail(err);
    }
  }

  /** Totals over the destinations this retry touches, to follow the requeued deliveries as they settle. */
  async function totals() {
    const { destinations } = await api('/admin/api/destinations');
    const chosen = destinations.filter((d) => !state.destination || d.name === state.destination);
    return chosen.reduce((t, d) => ({ delivered: t.delivered + d.delivered, dead: t.dead + d.dead, waiting: t.waiting + d.pending + d.failed }), {
      delivered: 0,
      dead: 0,
      waiting: 0,
    });
  }

  async function retryAll() {
    retryButton.disabled = true;
    stopProgress?.();
    try {
      const before = await totals();
      const filter = { status: state.status, destination: state.destination || undefined, source: state.source || undefined };
      const { requeued } = await api('/admin/api/deliveries/retry', { method: 'POST', body: filter });
      toast(`Requeued ${requeued} deliver${requeued === 1 ? 'y' : 'ies'}`, 'ok');
      follow(requeued, before);
      await load();
    } catch (err) {
      ctx.fail(err);
    } finally {
      retryButton.disabled = false;
    }
  }

  // Progress: deliveries newly delivered plus those that went dead again, out of the requeued count.
  // Other traffic to the same destinations can move these totals too, hence "about".
  function follow(requeued, before) {
    const bar = h('progress', { max: Math.max(1, requeued), value: 0 });
    const text = h('span', { 'data-test': 'bulk-text' });
    replace(progress, h('strong', { 'data-test': 'bulk-count' }, `Requeued ${fmtCount(requeued)}`), bar, text);
    progress.hidden = false;
    if (requeued === 0) {
      text.textContent = 'Nothing matched.';
      return;
    }
    const fromDead = state.status === 'dead' ? requeued : 0;
    stopProgress = every(1000, async () => {
      const now = await totals();
      const delivered = Math.max(0, now.delivered - before.delivered);
      const deadAgain = Math.max(0, now.dead - (before.dead - fromDead));
      const settled = Math.min(requeued, delivered + deadAgain);
      bar.value = settled;
      text.textContent = `about ${fmtCount(settled)} of ${fmtCount(requeued)} settled: ${fmtCount(delivered)} delivered, ${fmtCount(deadAgain)} dead again`;
      if (settled >= requeued) {
        stopProgress?.();
        load();
      }
    });
  }

  root.append(
    h('div.view-head', {}, h('h1', {}, 'Dead letters'), h('span.muted', {}, 'Deliveries that exhausted their retry schedule')),
    h(
      'form.filters',
      { onsubmit: (e) => e.preventDefault() },
      field('Status', controls.status),
      field('Destination', controls.destination),
      field('Source', controls.source),
      h('span.spacer'),
      retryButton,
    ),
    progress,
    h(
      'div.card.table-card',
      {},
      h(
        'table.grid',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Destination', 'Source', 'Type', 'Event key', 'Status', 'Attempts', 'Last error', 'Updated', ''].map((c) => h('th', {}, c)),
          ),
        ),
        body,
      ),
    ),
    pager.element,
  );
  const stop = every(REFRESH_MS, () => (pager.firstPage() ? load() : undefined));
  return () => {
    stop();
    stopProgress?.();
  };
}
