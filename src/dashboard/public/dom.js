// Small DOM helpers. Everything the server sends is put in the page as text (never innerHTML),
// so a hostile payload or header value cannot inject markup.

/** h('a.link', { href }, 'text', child) -> element. Attributes starting with "on" become listeners. */
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const node = document.createElement(name || 'div');
  if (classes.length) node.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = [node.className, value].filter(Boolean).join(' ');
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

const pad = (n) => String(n).padStart(2, '0');

/** Local time; the date too when it is not today. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return d.toDateString() === new Date().toDateString() ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export function fmtAge(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function fmtAgo(iso) {
  if (!iso) return '—';
  return `${fmtAge(Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000))} ago`;
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export const fmtCount = (n) => (n ?? 0).toLocaleString('en-US');

export function badge(status) {
  return h(`span.badge.s-${status}`, { title: status }, status);
}

export function timeCell(iso) {
  return h('time', { datetime: iso ?? '', title: iso ?? '' }, fmtTime(iso));
}

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  // A failing poll would repeat the same message every few seconds; show it once while it is up.
  if ([...box.children].some((t) => t.textContent === message)) return;
  const item = h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Calls fn now and every `ms` while the tab is visible; returns stop(). A run never overlaps the previous one. */
export function every(ms, fn) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await fn();
      } catch {
        // The view shows its own error state; keep polling so it recovers by itself.
      }
    }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** A labelled form control for filter bars. */
export function field(label, control) {
  return h('label.field', {}, h('span', {}, label), control);
}

export function select(name, options, value) {
  return h(
    'select',
    { name },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
}
