// The record list's state on the oipd page (search, filters, sort, page) and its two renderings:
// the API call it makes (`listParams`) and the page's own query string (`listQuery`, read back
// by `readQuery`), so a reload or a shared URL shows the same list. No DOM here.

const DEFAULT_SORT = 'inArweaveBlock:desc';
const DEFAULT_LIMIT = 20;

/** What the list shows; app.js changes it, then loads the list. */
export const state = {
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
export function listParams(withSummary) {
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
export function isFiltered() {
  return Boolean(state.type || state.tags.length || state.search);
}

/**
 * The state as the page's query string (`?…`, or '' for the defaults), in the API's own
 * parameter names so a shared URL reads like the call it makes; defaults are left out.
 */
export function listQuery() {
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
export function readQuery(search) {
  const q = new URLSearchParams(search);
  state.search = (q.get('search') || '').trim();
  state.mode = /^or$/i.test(q.get('searchMatchMode') || '') ? 'OR' : 'AND';
  state.type = q.get('recordType') || '';
  state.tags = (q.get('tags') || '').split(',').map((t) => t.trim()).filter(Boolean);
  state.sort = q.get('sortBy') || DEFAULT_SORT;
  state.limit = positive(q.get('limit')) || DEFAULT_LIMIT;
  state.page = positive(q.get('page')) || 1;
}
