// Entry point: unlock with the admin token (or loopback), then a hash router over four views.
import { api, AuthError, token } from './api.js';
import { toast } from './dom.js';
import * as deadView from './views/dead.js';
import * as eventView from './views/event.js';
import * as eventsView from './views/events.js';
import * as healthView from './views/health.js';

const VIEWS = { events: eventsView, event: eventView, dead: deadView, health: healthView };
const $ = (id) => document.getElementById(id);

let unmount = null;
let unlocked = false;

/** Shared by the views: the source names for filters, and one way to report failures. */
const ctx = {
  sources: [],
  fail(err) {
    if (err instanceof AuthError) return lock(err);
    toast(err.message || String(err), 'error');
  },
  setLive(on) {
    $('live').hidden = !on;
  },
};

function parseHash() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const params = Object.fromEntries(new URLSearchParams(search));
  if (parts[0] === 'events' && parts[1]) return { view: 'event', id: decodeURIComponent(parts[1]), params };
  if (parts[0] in VIEWS && parts[0] !== 'event') return { view: parts[0], params };
  return { view: 'events', params };
}

function render() {
  if (!unlocked) return;
  unmount?.();
  unmount = null;
  ctx.setLive(false);
  const route = parseHash();
  const section = route.view === 'event' ? 'events' : route.view;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === section);
  const root = $('view');
  root.replaceChildren();
  root.dataset.view = route.view;
  unmount = VIEWS[route.view].mount(root, route, ctx) ?? null;
}

function lock(err) {
  unlocked = false;
  unmount?.();
  unmount = null;
  ctx.setLive(false);
  $('view').replaceChildren();
  $('forget').hidden = true;
  const hadToken = token.get() !== null;
  token.clear();
  const message = $('login-error');
  message.hidden = !(hadToken || err?.status === 403);
  message.textContent = err?.status === 403 ? err.message : 'That token was refused. Check ADMIN_TOKEN and try again.';
  $('login').hidden = false;
  $('token').value = '';
  $('token').focus();
}

/** Probe the API with what we have (a token, or nothing on loopback); open the views if it answers. */
async function unlock() {
  try {
    ctx.sources = (await api('/admin/api/ingest-stats')).sources.map((s) => s.name);
  } catch (err) {
    if (err instanceof AuthError) {
      // Nothing typed yet: just ask. A stored token that fails: say so.
      if (token.get() === null && err.status === 401) {
        $('login').hidden = false;
        $('login-error').hidden = true;
        $('token').focus();
        return;
      }
      return lock(err);
    }
    return toast(`Cannot reach the admin API: ${err.message}`, 'error');
  }
  unlocked = true;
  $('login').hidden = true;
  $('forget').hidden = token.get() === null;
  render();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  token.set(value);
  unlock();
});
$('forget').addEventListener('click', () => {
  token.clear();
  lock();
  $('login-error').hidden = true;
});
window.addEventListener('hashchange', render);
unlock();
