// Health: how each source is ingesting, how each destination is receiving, and the last hour per minute.
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { every, fmtAge, fmtAgo, fmtCount, h, replace, toast } from '../dom.js';

const REFRESH_MS = 5000;

export function mount(root, _route, ctx) {
  const tiles = h('div.tiles');
  const chart = h('div.chart-box', { 'data-test': 'chart' });
  const chartTotals = h('span.muted');
  const sources = h('tbody');
  const destinations = h('tbody');

  root.append(
    h('div.view-head', {}, h('h1', {}, 'Health')),
    tiles,
    h(
      'section.card',
      {},
      h(
        'div.card-head',
        {},
        h('h2', {}, 'Last hour, per minute'),
        chartTotals,
        h('span.legend', {}, h('span.swatch.received'), 'events received', h('span.swatch.failed'), 'failed delivery attempts'),
      ),
      chart,
    ),
    h(
      'section.card',
      {},
      h('div.card-head', {}, h('h2', {}, 'Sources'), h('span.muted', {}, 'request counts since this process started')),
      h(
        'table.grid',
        { 'data-test': 'sources' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Source', 'Provider', 'Path', 'Accepted', 'Replays', 'Rejected', 'Secrets (verifications)', 'Last event'].map((c) => h('th', {}, c)),
          ),
        ),
        sources,
      ),
    ),
    h(
      'section.card',
      {},
      h('div.card-head', {}, h('h2', {}, 'Destinations')),
      h(
        'table.grid',
        { 'data-test': 'destinations' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Destination', 'Target', 'Success rate', 'Failure streak', 'State', 'Waiting', 'Dead', 'Oldest waiting', ''].map((c) => h('th', {}, c)),
          ),
        ),
        destinations,
      ),
    ),
  );

  async function toggle(d) {
    try {
      await api(`/admin/api/destinations/${encodeURIComponent(d.name)}/${d.disabled ? 'enable' : 'disable'}`, { method: 'POST', body: {} });
      toast(`${d.name} ${d.disabled ? 'enabled' : 'disabled'}`, 'ok');
      await load();
    } catch (err) {
      ctx.fail(err);
    }
  }

  async function load() {
    const [ingest, dests, stats, activity] = await Promise.all([
      api('/admin/api/ingest-stats'),
      api('/admin/api/destinations'),
      api('/admin/api/stats'),
      api('/admin/api/activity?minutes=60'),
    ]).catch((err) => {
      ctx.fail(err);
      throw err;
    });
    renderTiles(stats);
    renderChart(activity);
    replace(sources, ingest.sources.map(sourceRow));
    replace(
      destinations,
      dests.destinations.length ? dests.destinations.map(destinationRow) : h('tr.empty', {}, h('td', { colspan: 9 }, 'No destinations configured.')),
    );
  }

  function renderTiles(stats) {
    const e = stats.events ?? {};
    const d = stats.deliveries ?? {};
    const tile = (label, value, cls = '') => h(`div.tile${cls}`, {}, h('span.tile-value', {}, value), h('span.tile-label', {}, label));
    replace(
      tiles,
      tile('events stored', fmtCount(Object.values(e).reduce((a, b) => a + b, 0))),
      tile('deliveries delivered', fmtCount(d.delivered), '.ok'),
      tile('waiting (pending + retrying)', fmtCount((d.pending ?? 0) + (d.failed ?? 0)), d.failed ? '.warn' : ''),
      tile('dead', fmtCount(d.dead), d.dead ? '.bad' : ''),
      tile('oldest waiting', fmtAge(stats.oldest_pending_age_seconds), stats.oldest_pending_age_seconds > 300 ? '.warn' : ''),
    );
  }

  function renderChart(activity) {
    const labels = activity.buckets.map((b) => new Date(b.start));
    const received = activity.buckets.map((b) => b.events_received);
    const failed = activity.buckets.map((b) => b.attempts_failed);
    const sum = (xs) => xs.reduce((a, b) => a + b, 0);
    chartTotals.textContent = `${fmtCount(sum(received))} received · ${fmtCount(sum(failed))} failed attempts`;
    replace(
      chart,
      lineChart({
        title: 'Events received and failed delivery attempts per minute, last hour',
        labels,
        series: [
          { name: 'events received', className: 'received', values: received },
          { name: 'failed attempts', className: 'failed', values: failed },
        ],
      }),
    );
  }

  function sourceRow(s) {
    const rejected = Object.entries(s.rejected).sort((a, b) => b[1] - a[1]);
    return h(
      'tr',
      { dataset: { source: s.name } },
      h('td', {}, h('strong', {}, s.name)),
      h('td', {}, s.provider),
      h('td', {}, h('code', {}, s.path)),
      h('td.num', { 'data-test': 'accepted' }, fmtCount(s.accepted)),
      h('td.num', { 'data-test': 'replays' }, fmtCount(s.replays)),
      h(
        'td',
        { 'data-test': 'rejected' },
        rejected.length ? rejected.map(([code, n]) => h('span.chip.bad', { title: code }, `${code}: ${fmtCount(n)}`)) : h('span.muted', {}, '0'),
      ),
      h(
        'td',
        {},
        s.secrets.map((x) =>
          h(
            'span.chip',
            { title: x.expires_at ? `expires ${x.expires_at}` : 'no expiry' },
            `${x.label}: ${fmtCount(x.verifications)}`,
            x.expires_at ? ` · until ${x.expires_at.slice(0, 10)}` : '',
          ),
        ),
      ),
      h('td', {}, s.last_event_at ? h('span', { title: s.last_event_at }, fmtAgo(s.last_event_at)) : h('span.muted', {}, 'never')),
    );
  }

  function destinationRow(d) {
    const settled = d.delivered + d.dead;
    const rate = settled ? d.delivered / settled : null;
    const oldest = d.oldest_pending_at ? (Date.now() - new Date(d.oldest_pending_at).getTime()) / 1000 : null;
    return h(
      'tr',
      { dataset: { destination: d.name } },
      h('td', {}, h('strong', {}, d.name)),
      h('td', {}, h('code.target', { title: d.url ?? d.handler ?? '' }, d.url ?? `handler: ${d.handler}`)),
      h(
        'td',
        {},
        rate === null
          ? h('span.muted', {}, 'no data')
          : h('span.rate', {}, h('meter', { min: 0, max: 1, low: 0.9, high: 0.99, optimum: 1, value: rate }), ` ${(rate * 100).toFixed(rate === 1 ? 0 : 1)}%`),
      ),
      h('td.num', { class: d.failure_streak ? 'warn-text' : '' }, fmtCount(d.failure_streak)),
      h(
        'td',
        {},
        d.disabled
          ? h('span.badge.s-dead', { title: d.disabled_reason ?? '' }, `disabled${d.disabled_reason ? `: ${d.disabled_reason}` : ''}`)
          : h('span.badge.s-delivered', {}, 'enabled'),
      ),
      h('td.num', {}, fmtCount(d.pending + d.failed)),
      h('td.num', {}, fmtCount(d.dead)),
      h('td', {}, oldest === null ? '—' : h('span', { title: d.oldest_pending_at }, fmtAge(oldest))),
      h('td', {}, h('button.ghost.small', { type: 'button', onclick: () => toggle(d) }, d.disabled ? 'Enable' : 'Disable')),
    );
  }

  return every(REFRESH_MS, load);
}
