// Talks to the admin API. The token lives in sessionStorage (this tab only) and travels as a Bearer
// header; it is never put in a URL, so it stays out of history, logs and Referer headers.
const KEY = 'filab.adminToken';

export class AuthError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export class ApiFailure extends Error {
  constructor(status, detail, code) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  // The admin API refuses a state change without a JSON content type (no form can send one), body or not.
  if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401 || res.status === 403) throw new AuthError(res.status, data?.detail ?? 'Access refused');
  if (!res.ok) throw new ApiFailure(res.status, data?.detail ?? `HTTP ${res.status}`, data?.code);
  return data;
}

/** `?a=1&b=2` from the non-empty entries. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}
