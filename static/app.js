// Entry point of the oipd page: store figures, the record list (filters, tag chips, search, sort,
// pages), the token, deep links (#/record/<did>) and the memory panel. Uses the public API only.
// The list's state lives in the query string (`listQuery`), a record in the hash, so a reload or
// a shared URL shows the same thing and back/forward step through both.

import * as api from './api.js';
import { h, RecordView, nameOf, typeOf, formatDate, shortDid, accessOf, errorBox } from './record.js';
import { MemoryPanel } from './memory.js';

const $ = (id) => document.getElementById(id);

// ---- list state and its URL -----------------------------------------------------------------

const DEFAULT_SORT = 'inArweaveBlock:desc';
const DEFAULT_LIMIT = 20;

const state = {
  type: '',
  tags: [],
  search: '',
  mode: 'AND',
  sort: DEFAULT_SORT,
  page: 1,
  limit: DEFAULT_LIMIT,
  totalPages: 0,
};

/** The `GET /api/records` parameters of the state; `withSummary` asks for the tag chips too. */
function listParams(withSummary) {
  const p = {
    limit: state.limit,
    page: state.page,
    sortBy: state.sort,
    recordType: state.type,
    search: state.search,
    searchMatchMode: state.search ? state.mode : '',
    tags: state.tags.join(','),
    tagsMatchMode: state.tags.length > 1 ? 'AND' : '',
  };
  if (withSummary) {
    p.summarizeTags = 'true';
    p.tagCount = 30;
  }
  return p;
}

/** True when a type, tag or search narrows the list. */
function isFiltered() {
  return Boolean(state.type || state.tags.length || state.search);
}

/**
 * The state as the page's query string (`?…`, or '' for the defaults), in the API's own
 * parameter names so a shared URL reads like the call it makes; defaults are left out.
 */
function listQuery() {
  const q = new URLSearchParams();
  if (state.search) q.set('search', state.search);
  if (state.search && state.mode !== 'AND') q.set('searchMatchMode', state.mode);
  if (state.type) q.set('recordType', state.type);
  if (state.tags.length) q.set('tags', state.tags.join(','));
  if (state.sort !== DEFAULT_SORT) q.set('sortBy', state.sort);
  if (state.limit !== DEFAULT_LIMIT) q.set('limit', String(state.limit));
  if (state.page > 1) q.set('page', String(state.page));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const positive = (v) => (/^[1-9]\d*$/.test(v || '') ? Number(v) : 0);

/**
 * Sets the state from a query string such as `location.search`. Missing or malformed numbers
 * take their defaults; any other value is kept as sent, so one the API refuses (an unknown
 * `sortBy`) shows as the API's error, not as a silently different list.
 */
function readQuery(search) {
  const q = new URLSearchParams(search);
  state.search = (q.get('search') || '').trim();
  state.mode = /^or$/i.test(q.get('searchMatchMode') || '') ? 'OR' : 'AND';
  state.type = q.get('recordType') || '';
  state.tags = (q.get('tags') || '').split(',').map((t) => t.trim()).filter(Boolean);
  state.sort = q.get('sortBy') || DEFAULT_SORT;
  state.limit = positive(q.get('limit')) || DEFAULT_LIMIT;
  state.page = positive(q.get('page')) || 1;
}

// ---- list ----------------------------------------------------------------------------------

let tagSummary = [];
let listController = null;
let listSeq = 0;

/** Sets a select to `value`, adding the option when the page does not offer it. */
function choose(select, value) {
  if (![...select.options].some((o) => o.value === value)) select.append(h('option', { value }, value));
  select.value = value;
}

/** Puts the state into the controls. */
function showState() {
  $('search').value = state.search;
  for (const r of document.querySelectorAll('input[name="mode"]')) r.checked = r.value === state.mode;
  choose($('type-filter'), state.type);
  choose($('sort'), state.sort);
  choose($('limit'), String(state.limit));
  renderActive();
}

function showError(e) {
  const box = $('error');
  if (!e) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  box.replaceChildren(...errorBox(e).childNodes);
}

/**
 * Loads the current page. `withSummary` also refreshes the tag chips (filters changed). A new
 * state is a new history entry (`push`); one read from the URL only tidies it.
 */
async function loadList({ withSummary = false, focus = false, push = true } = {}) {
  if (listController) listController.abort();
  const query = listQuery();
  if (query !== location.search) {
    history[push ? 'pushState' : 'replaceState'](null, '', location.pathname + query + location.hash);
  }
  const controller = new AbortController();
  listController = controller;
  const seq = ++listSeq;
  $('results').setAttribute('aria-busy', 'true');
  $('summary').textContent = 'Loading…';
  try {
    const env = await api.records(listParams(withSummary), { signal: controller.signal });
    if (seq !== listSeq) return;
    showError(null);
    if (withSummary && Array.isArray(env.tagSummary)) tagSummary = env.tagSummary;
    renderList(env);
    renderTags();
    renderAuth(env.auth);
    if (typeof env.latestArweaveBlockInDB === 'number') {
      $('stat-block').textContent = env.latestArweaveBlockInDB ? env.latestArweaveBlockInDB.toLocaleString('en') : 'none';
    }
    if (focus) $('results').focus({ preventScroll: false });
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (seq !== listSeq) return;
    showError(e);
    $('summary').textContent = '';
  } finally {
    if (seq === listSeq) $('results').removeAttribute('aria-busy');
  }
}

function renderList(env) {
  const recs = Array.isArray(env.records) ? env.records : [];
  const total = Number(env.searchResults) || 0;
  state.totalPages = Number(env.totalPages) || 0;
  state.page = Number(env.currentPage) || state.page;
  const list = $('results');
  list.replaceChildren(...recs.map(card));
  // Lets the end-to-end suite read when the first page of cards was drawn.
  if (!performance.getEntriesByName('cards-rendered').length) performance.mark('cards-rendered');
  const pages = state.totalPages;
  const first = total ? (state.page - 1) * state.limit + 1 : 0;
  const last = Math.min(total, first + recs.length - 1);
  // Apart from the store's figures beside it: those count every type, delete messages included,
  // which the API leaves out of a listing unless asked for by type.
  const filtered = isFiltered();
  const counted = `${total.toLocaleString('en')} record${total === 1 ? '' : 's'} ${
    filtered ? `match${total === 1 ? 'es' : ''} the filters` : 'listed (delete messages left out)'}`;
  if (!total) {
    $('summary').textContent = filtered ? 'No records match the filters.' : 'No records listed.';
  } else if (!recs.length) {
    $('summary').textContent = `${counted}; page ${state.page} is past the last page (${pages}).`;
  } else {
    $('summary').textContent = `${counted} · showing ${first}–${last}`;
  }
  $('summary').dataset.total = String(total);
  $('page-info').textContent = pages ? `Page ${state.page} of ${pages}` : 'Page –';
  $('first').disabled = state.page <= 1;
  $('prev').disabled = state.page <= 1;
  $('next').disabled = !pages || state.page >= pages;
  $('last').disabled = !pages || state.page >= pages;
}

function card(rec) {
  const did = api.didOf(rec);
  const basic = (rec.data && rec.data.basic) || {};
  const tags = Array.isArray(basic.tagItems) ? basic.tagItems : [];
  const access = accessOf(rec);
  const date = formatDate(rec);
  const desc = typeof basic.description === 'string' ? basic.description : '';
  // The title's link covers the whole card (app.css), so a click anywhere on it opens the record
  // and the card stays one tab stop, outlined when focused.
  return h('li', { class: 'card', 'data-did': did, 'data-type': typeOf(rec) },
    h('h2', { class: 'card-title' }, h('a', { href: `#/record/${encodeURIComponent(did)}`, class: 'card-link' }, nameOf(rec))),
    h('p', { class: 'card-meta' },
      h('span', { class: 'badge type' }, typeOf(rec)),
      access ? h('span', { class: 'badge priv' }, access) : null,
      date ? h('time', { class: 'muted', datetime: date }, date) : null),
    desc ? h('p', { class: 'card-desc' }, desc.length > 160 ? `${desc.slice(0, 157)}…` : desc) : null,
    h('p', { class: 'card-did' }, h('code', { title: did }, shortDid(did))),
    tags.length ? h('p', { class: 'tag-list' }, tags.slice(0, 8).map((t) => h('span', { class: 'tag' }, t))) : null);
}

function renderTags() {
  const box = $('tags');
  const shown = tagSummary.slice();
  for (const t of state.tags) {
    if (!shown.some((s) => s.tag.toLowerCase() === t.toLowerCase())) shown.unshift({ tag: t, count: null });
  }
  if (!shown.length) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(h('span', { class: 'tags-label muted' }, 'Tags:'), ...shown.map(({ tag, count }) => {
    const on = state.tags.some((t) => t.toLowerCase() === tag.toLowerCase());
    return h('button', {
      type: 'button',
      class: 'chip',
      'aria-pressed': on ? 'true' : 'false',
      'data-tag': tag,
      onclick: () => {
        state.tags = on ? state.tags.filter((t) => t.toLowerCase() !== tag.toLowerCase()) : [...state.tags, tag];
        state.page = 1;
        renderActive();
        loadList({ withSummary: true });
      },
    }, tag, count !== null && count !== undefined ? h('span', { class: 'count' }, String(count)) : null);
  }));
}

function renderActive() {
  const parts = [];
  const drop = (label, fn) => h('button', { type: 'button', class: 'chip removable', onclick: () => { fn(); state.page = 1; renderActive(); loadList({ withSummary: true }); } },
    label, h('span', { 'aria-hidden': 'true' }, ' ✕'), h('span', { class: 'visually-hidden' }, ' (remove filter)'));
  if (state.type) parts.push(drop(`type: ${state.type}`, () => { state.type = ''; $('type-filter').value = ''; }));
  for (const t of state.tags) parts.push(drop(`tag: ${t}`, () => { state.tags = state.tags.filter((x) => x !== t); }));
  if (state.search) parts.push(drop(`search: “${state.search}” (${state.mode === 'OR' ? 'any word' : 'all words'})`, () => { state.search = ''; $('search').value = ''; }));
  if (parts.length > 1) {
    parts.push(h('button', { type: 'button', class: 'link', onclick: () => {
      state.type = ''; state.tags = []; state.search = ''; state.page = 1;
      $('type-filter').value = ''; $('search').value = '';
      renderActive(); loadList({ withSummary: true });
    } }, 'Clear all'));
  }
  $('active').replaceChildren(...(parts.length ? [h('span', { class: 'muted' }, 'Filters:'), ...parts] : []));
}

async function loadTypes() {
  try {
    const rt = await api.recordTypes();
    const types = Array.isArray(rt.recordTypes) ? rt.recordTypes : [];
    $('stat-records').textContent = (rt.totalRecords ?? 0).toLocaleString('en');
    $('stat-types').textContent = String(rt.recordTypeCount ?? types.length);
    const sel = $('type-filter');
    const keep = state.type;
    sel.replaceChildren(h('option', { value: '' }, 'All types'),
      ...types.map((t) => h('option', { value: t.recordType }, `${t.recordType} (${t.count})`)));
    if (keep && !types.some((t) => t.recordType === keep)) sel.append(h('option', { value: keep }, keep));
    sel.value = keep;
    const max = Math.max(1, ...types.map((t) => t.count));
    $('type-counts').replaceChildren(...types.map((t) => h('li', {},
      h('button', { type: 'button', class: 'type-row', 'data-type': t.recordType, title: `Show ${t.recordType} records`, onclick: () => setType(t.recordType) },
        h('span', { class: 'type-name' }, t.recordType),
        h('span', { class: 'type-count' }, String(t.count)),
        h('span', { class: 'bar', style: `width:${Math.max(2, Math.round((100 * t.count) / max))}%`, 'aria-hidden': 'true' })))));
  } catch (e) {
    $('stat-records').textContent = '–';
    $('stat-types').textContent = '–';
    $('type-counts').replaceChildren(h('li', { class: 'error' }, `Record types unavailable: ${e.message || e}`));
  }
}

function setType(type) {
  state.type = type;
  $('type-filter').value = type;
  state.page = 1;
  renderActive();
  loadList({ withSummary: true });
}

/** Shows who the node takes the caller for; `auth` is null until a list has answered. */
function renderAuth(auth) {
  const who = $('who');
  const token = api.getToken();
  const toggle = $('token-toggle');
  who.classList.remove('warn-text');
  toggle.classList.remove('warn-text');
  toggle.textContent = 'Token';
  toggle.removeAttribute('aria-label');
  if (auth && auth.authenticated && auth.user) {
    const u = auth.user;
    const key = u.publicKey ? shortKey(u.publicKey) : '';
    who.replaceChildren('Signed in as ', h('strong', { id: 'who-email' }, u.email || u.userId || 'token holder'),
      key ? h('code', { class: 'key', title: u.publicKey, id: 'who-key' }, ` ${key}`) : null);
    tokenStatus(u.scope && u.scope !== 'full' ? `Scope: ${u.scope}` : '');
    if (token) {
      toggle.textContent = 'Token ✓';
      toggle.setAttribute('aria-label', 'Token (accepted)');
    }
  } else if (token && auth) {
    who.classList.add('warn-text');
    who.textContent = 'Token not accepted: reading anonymously';
    tokenStatus('The stored token is invalid or expired for this node: paste a new one or remove it.', true);
    toggle.classList.add('warn-text');
    toggle.textContent = 'Token ✗';
    toggle.setAttribute('aria-label', 'Token (not accepted)');
  } else {
    who.textContent = token ? 'checking the token…' : 'anonymous';
    tokenStatus('');
  }
  $('token-remove').disabled = !token;
}

/** The token panel's status line; a refusal is an alert. */
function tokenStatus(text, refused = false) {
  const status = $('token-status');
  status.textContent = text;
  status.classList.toggle('warn-text', refused);
  if (refused) status.setAttribute('role', 'alert');
  else status.removeAttribute('role');
}

function shortKey(k) {
  return k.length > 16 ? `${k.slice(0, 8)}…${k.slice(-6)}` : k;
}

async function reloadAll() {
  await Promise.all([loadTypes(), loadList({ withSummary: true, push: false })]);
  if (view.isOpen && view.did) view.load();
}

// ---- record view and deep links -------------------------------------------------------------

let opener = null;
let openedInApp = false;

const view = new RecordView({
  dialog: $('record-view'),
  body: $('rv-body'),
  depth: $('rv-depth'),
  raw: $('rv-raw'),
  closeBtn: $('rv-close'),
  onClose: () => {
    if (routeDid()) {
      if (openedInApp) history.back();
      else history.replaceState(null, '', location.pathname + location.search);
    }
    openedInApp = false;
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  },
});

function routeDid() {
  const m = /^#\/record\/(.+)$/.exec(location.hash);
  if (!m) return '';
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

function route() {
  const did = routeDid();
  if (did) view.open(did);
  else if (view.isOpen) view.close();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a[href^="#/record/"]');
  if (!a) return;
  if (!view.isOpen) {
    opener = a;
    openedInApp = true;
  }
});

window.addEventListener('hashchange', route);
// Back and forward between list states; the hash (a record) is hashchange's.
window.addEventListener('popstate', () => {
  const shown = listQuery();
  readQuery(location.search);
  if (listQuery() === shown) return;
  showState();
  loadList({ withSummary: true, push: false });
});

// ---- controls ------------------------------------------------------------------------------

$('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.search = $('search').value.trim();
  state.mode = document.querySelector('input[name="mode"]:checked').value;
  state.page = 1;
  renderActive();
  loadList({ withSummary: true });
});
for (const r of document.querySelectorAll('input[name="mode"]')) {
  r.addEventListener('change', () => {
    state.mode = r.value;
    if (state.search) {
      state.page = 1;
      renderActive();
      loadList({ withSummary: true });
    }
  });
}
$('type-filter').addEventListener('change', (ev) => setType(ev.target.value));
$('sort').addEventListener('change', (ev) => { state.sort = ev.target.value; state.page = 1; loadList(); });
$('limit').addEventListener('change', (ev) => { state.limit = Number(ev.target.value) || 20; state.page = 1; loadList(); });
const goto = (p) => { state.page = Math.max(1, p); loadList({ focus: false }); };
$('first').addEventListener('click', () => goto(1));
$('prev').addEventListener('click', () => goto(state.page - 1));
$('next').addEventListener('click', () => goto(state.page + 1));
$('last').addEventListener('click', () => goto(state.totalPages || 1));

$('token-toggle').addEventListener('click', () => {
  const panel = $('token-panel');
  panel.hidden = !panel.hidden;
  $('token-toggle').setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) $('token-input').focus();
});
// A token is kept only once the node has accepted it; a refused one stays in the box to be
// corrected, and the token in use (if any) stays in use.
$('token-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const t = $('token-input').value.trim().replace(/^Bearer\s+/i, '');
  if (!t) return;
  tokenStatus('Checking…');
  let refusal = '';
  try {
    const auth = await api.checkToken(t);
    if (!auth.authenticated) refusal = 'its signature is not this node\'s, it has expired, or it is not valid yet';
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 0) {
      tokenStatus('Could not check the token: the server did not answer.', true);
      return;
    }
    refusal = e.message;
  }
  if (refusal) {
    const still = api.getToken() ? 'the stored token stays as it was' : 'still reading anonymously';
    tokenStatus(`This node rejected the token (${refusal}); ${still}.`, true);
    return;
  }
  api.setToken(t);
  $('token-input').value = '';
  tokenStatus('Token accepted.');
  reloadAll();
});
$('token-remove').addEventListener('click', () => {
  api.setToken('');
  $('token-input').value = '';
  reloadAll();
});
$('token-panel').addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') {
    $('token-panel').hidden = true;
    $('token-toggle').setAttribute('aria-expanded', 'false');
    $('token-toggle').focus();
  }
});
document.addEventListener('keydown', (ev) => {
  if (ev.key === '/' && !view.isOpen && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
    ev.preventDefault();
    $('search').focus();
  }
});

// ---- start ---------------------------------------------------------------------------------

readQuery(location.search);
showState();
renderAuth(null);
route();
// The first page needs two calls (record types, records); the memory panel starts after them.
Promise.all([loadTypes(), loadList({ withSummary: true, push: false })])
  .finally(() => new MemoryPanel($('memory-body')).start());
