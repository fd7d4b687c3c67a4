// One event: what was received (headers, payload, which secret verified it) and where it went
// (deliveries with their attempts timeline), with replay to every destination or to one.
import { api } from '../api.js';
import { badge, every, fmtMs, h, replace, timeCell, toast } from '../dom.js';

const REFRESH_MS = 2000;

export function mount(root, route, ctx) {
  const head = h('div.view-head');
  const deliveries = h('div.deliveries');
  const meta = h('dl.meta');
  const headers = h('tbody');
  const payload = h('pre.payload', { 'data-test': 'payload' });
  const payloadNote = h('span.muted');
  let event = null;

  root.append(
    h('p.crumbs', {}, h('a', { href: '#/events' }, '← Events')),
    head,
    h(
      'div.detail-grid',
      {},
      h('section.card', {}, h('h2', {}, 'Event'), meta),
      h('section.card.span-2', {}, h('h2', {}, 'Deliveries'), deliveries),
      h('section.card', {}, h('h2', {}, 'Stored headers'), h('table.grid.compact', {}, headers)),
      h('section.card.span-2', {}, h('h2', {}, 'Payload ', payloadNote), payload),
    ),
  );

  async function replay(destination) {
    try {
      const { requeued } = await api(`/admin/api/events/${encodeURIComponent(route.id)}/replay`, { method: 'POST', body: destination ? { destination } : {} });
      toast(requeued === 1 ? 'Replay queued for 1 delivery' : `Replay queued for ${requeued} deliveries`, 'ok');
      await load();
    } catch (err) {
      ctx.fail(err);
    }
  }

  async function load() {
    try {
      event = await api(`/admin/api/events/${encodeURIComponent(route.id)}`);
    } catch (err) {
      if (err.status === 404) return replace(head, h('h1', {}, 'Event not found'), h('span.muted', {}, route.id));
      return ctx.fail(err);
    }
    render(event);
  }

  function render(e) {
    replace(
      head,
      h('h1', {}, h('span.key', {}, e.event_key), ' ', badge(e.status)),
      h(
        'button.primary',
        { type: 'button', 'data-test': 'replay-all', disabled: e.deliveries.length === 0, onclick: () => replay() },
        'Replay to all destinations',
      ),
    );
    replace(
      meta,
      [
        ['Source', e.source],
        ['Type', h('code', {}, e.type)],
        ['Received', timeCell(e.received_at)],
        ['Provider created', e.created_at ? timeCell(e.created_at) : '—'],
        ['Verified with secret', e.secret_label ? h('span.chip', { 'data-test': 'secret' }, e.secret_label) : 'none'],
        ['Event id', h('code', {}, e.id)],
        ['Payload SHA-256', h('code.hash', {}, e.payload_sha256)],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    );
    replace(
      headers,
      Object.entries(e.headers)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, h('code', {}, v)))),
    );
    renderPayload(e);
    replace(deliveries, e.deliveries.length ? e.deliveries.map((d) => deliveryCard(d)) : h('p.muted', {}, 'No destination matched this event.'));
  }

  function renderPayload(e) {
    if (e.payload_encoding === 'base64') {
      payloadNote.textContent = '(binary, shown as base64)';
      payload.textContent = e.payload;
      return;
    }
    try {
      payload.textContent = JSON.stringify(JSON.parse(e.payload), null, 2);
      payloadNote.textContent = '(JSON)';
    } catch {
      payload.textContent = e.payload;
      payloadNote.textContent = '(text)';
    }
  }

  function deliveryCard(d) {
    const attempts = [...d.attempts].sort((a, b) => a.attempt_number - b.attempt_number || a.started_at.localeCompare(b.started_at));
    return h(
      'article.delivery',
      { dataset: { destination: d.destination, status: d.status } },
      h(
        'header',
        {},
        h('strong', {}, d.destination),
        ' ',
        badge(d.status),
        h('span.muted', {}, ` ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}`),
        h('span.spacer'),
        h('button.ghost', { type: 'button', 'data-test': 'replay-one', onclick: () => replay(d.destination) }, `Replay to ${d.destination}`),
      ),
      h(
        'p.delivery-facts.muted',
        {},
        (d.status === 'pending' || d.status === 'failed') && d.next_attempt_at ? ['Next attempt ', timeCell(d.next_attempt_at), ' · '] : null,
        d.ordering_key ? [`Ordering key ${d.ordering_key} · `] : null,
        'Updated ',
        timeCell(d.updated_at),
      ),
      d.last_error && d.status !== 'delivered' ? h('p.error', {}, d.last_error) : null,
      attempts.length ? h('ol.timeline', {}, attempts.map(attemptItem)) : h('p.muted', {}, 'No attempt yet.'),
    );
  }

  function attemptItem(a) {
    const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300 && !a.error;
    return h(
      `li.attempt.${ok ? 'ok' : 'bad'}`,
      { dataset: { attempt: a.attempt_number } },
      h(
        'div.attempt-line',
        {},
        h('strong', {}, `#${a.attempt_number}`),
        timeCell(a.started_at),
        h('span.code', {}, a.status_code === null ? 'no response' : `HTTP ${a.status_code}`),
        h('span', {}, fmtMs(a.duration_ms)),
        a.manual ? h('span.chip', {}, 'manual') : null,
      ),
      a.error ? h('p.error', {}, a.error) : null,
      a.response_snippet ? h('pre.snippet', {}, a.response_snippet) : null,
    );
  }

  // Keep refreshing while a delivery is still in flight, so a replay turns "delivered" on screen.
  const stop = every(REFRESH_MS, () => {
    const settled = event?.deliveries.every((d) => d.status === 'delivered' || d.status === 'dead');
    return settled ? undefined : load();
  });
  return stop;
}
