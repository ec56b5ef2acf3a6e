// API calls of the oipd page: the public API only (README "API"), with the stored token sent as
// `Authorization: Bearer <token>` on every call. Errors become ApiError with the body's
// `{error, detail}` (or a calendar token's `{error, message}`) so callers can show them inline.

const TOKEN_KEY = 'oipd.token';

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail ? `${error}: ${detail}` : error);
    this.status = status;
    this.error = error;
    this.detail = detail;
  }
}

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives for this page only
  }
  memoryToken = token || '';
}

let memoryToken = '';

function headers(token = getToken() || memoryToken) {
  const h = { Accept: 'application/json' };
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

/** Builds `path?query` from an object, leaving out empty values. */
export function url(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * GET a JSON document. `allow` lists statuses that resolve to `null` instead of throwing (e.g. 404
 * for an optional route); `token` is sent instead of the stored one.
 */
export async function getJson(path, params, { signal, allow = [], token } = {}) {
  let res;
  try {
    res = await fetch(url(path, params), { headers: headers(token), signal });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network error', 'could not reach the server');
  }
  if (allow.includes(res.status)) return null;
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const error = (body && (body.error || body.message)) || `HTTP ${res.status}`;
    const detail = body && (body.detail || (body.error && body.message)) || (body ? '' : text.slice(0, 200));
    throw new ApiError(res.status, String(error), detail ? String(detail) : '');
  }
  if (body === null) throw new ApiError(res.status, 'bad response', 'the server did not answer JSON');
  return body;
}

/** `GET /api/records` with the given parameters (see README for their meaning). */
export function records(params, opts) {
  return getJson('/api/records', params, opts);
}

/**
 * The envelope's `auth` member for a read sent with `token` (one record, no references). Reads
 * take a bad or expired token as anonymous rather than refusing it (README "Tokens and privacy"), so whether
 * the node accepts it is `auth.authenticated`; a calendar token, which may not list every type,
 * is refused with 403 and throws.
 */
export async function checkToken(token) {
  const env = await getJson('/api/records', { limit: 1, resolveDepth: 0 }, { token });
  return env.auth || { authenticated: false };
}

/** `GET /api/records/recordTypes`. */
export function recordTypes(opts) {
  return getJson('/api/records/recordTypes', {}, opts);
}

/** One record by DID with `resolveDepth` levels embedded, or null if the caller cannot see it. */
export async function recordByDid(did, resolveDepth, opts) {
  const env = await records({ did, resolveDepth, limit: 1 }, opts);
  return { record: env.records && env.records[0] ? env.records[0] : null, envelope: env };
}

/** `GET /api/health`. */
export function health(opts) {
  return getJson('/api/health', {}, opts);
}

/** `GET /api/health/memory`, or null where the route is absent (404). */
export function healthMemory(opts) {
  return getJson('/api/health/memory', {}, { ...opts, allow: [404, 405] });
}

/** A record's DID. */
export function didOf(rec) {
  return (rec && rec.oip && (rec.oip.did || rec.oip.didTx)) || '';
}

/** True for a string that is a reference by the README's rule. */
export function isDid(v) {
  return typeof v === 'string' && v.startsWith('did:');
}
