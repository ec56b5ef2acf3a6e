// Record view of the oipd page: a record's sections and fields as tables, its references as links
// that expand in place one level at a time (each expansion fetches `?did=<did>&resolveDepth=1`),
// or a full view at a chosen depth; circular stubs and unresolved references are marked.

import { recordByDid, didOf, isDid, ApiError } from './api.js';

/** Creates an element: h('div', {class: 'x'}, child, 'text', …). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A short form of a DID for labels: method and the ends of its id. */
export function shortDid(did) {
  if (typeof did !== 'string') return '';
  const parts = did.split(':');
  const id = parts[parts.length - 1] || '';
  const head = parts.slice(0, -1).join(':');
  return id.length > 14 ? `${head}:${id.slice(0, 6)}…${id.slice(-4)}` : did;
}

/** `basic.date` (Unix seconds, or ms) as YYYY-MM-DD, else ''. */
export function formatDate(rec) {
  const basic = (rec && rec.data && rec.data.basic) || {};
  const d = basic.date;
  if (typeof d === 'number' && Number.isFinite(d)) {
    const ms = d > 1e12 ? d : d * 1000;
    const dt = new Date(ms);
    if (!Number.isNaN(dt.getTime())) return dt.toISOString().slice(0, 10);
  }
  if (typeof basic.dateReadable === 'string') return basic.dateReadable;
  return '';
}

/** A record's display name. */
export function nameOf(rec) {
  const basic = rec && rec.data && rec.data.basic;
  if (basic && typeof basic.name === 'string' && basic.name.trim()) return basic.name;
  const type = rec && rec.oip && rec.oip.recordType;
  return type ? `(unnamed ${type})` : '(unnamed record)';
}

export function typeOf(rec) {
  return (rec && rec.oip && rec.oip.recordType) || 'unknown';
}

/** The access level of a record if it is not public. */
export function accessOf(rec) {
  const ac = rec && rec.data && rec.data.accessControl;
  if (!ac || typeof ac !== 'object') return '';
  const level = ac.access_level || (ac.private ? 'private' : '');
  return level && level !== 'public' ? String(level) : '';
}

/** Copies text to the clipboard; resolves to true when it worked. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection fallback
  }
  try {
    const ta = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  } catch {
    return false;
  }
}

function copyButton(did) {
  const status = h('span', { class: 'copy-status muted', 'aria-live': 'polite' });
  const btn = h('button', {
    type: 'button',
    class: 'small copy',
    'data-did': did,
    onclick: async () => {
      const ok = await copyText(did);
      status.textContent = ok ? 'Copied' : 'Copy failed: select the DID text';
      setTimeout(() => { status.textContent = ''; }, 2500);
    },
  }, 'Copy DID');
  return h('span', { class: 'copy-wrap' }, btn, status);
}

function isRecordObject(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && v.oip && typeof v.oip === 'object';
}

function isUrl(s) {
  return typeof s === 'string' && /^https?:\/\/[^\s]+$/.test(s);
}

/** Renders a plain (non-reference) value. */
function plainValue(v) {
  if (v === null) return h('span', { class: 'null' }, 'null');
  if (typeof v === 'boolean') return h('span', { class: 'bool' }, v ? 'yes' : 'no');
  if (typeof v === 'number') return h('span', { class: 'num' }, String(v));
  if (typeof v === 'string') {
    if (isUrl(v)) return h('a', { href: v, rel: 'noopener noreferrer nofollow', target: '_blank' }, v);
    return h('span', { class: 'str' }, v);
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return h('span', { class: 'muted' }, '(none)');
    if (v.every((x) => typeof x !== 'object' || x === null) && v.join(', ').length < 80) {
      return h('span', {}, v.map((x) => (x === null ? 'null' : String(x))).join(', '));
    }
    return h('ol', { class: 'list' }, v.map((x) => h('li', {}, plainValue(x))));
  }
  if (typeof v === 'object') {
    const rows = Object.entries(v).map(([k, x]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, plainValue(x))));
    return h('table', { class: 'fields nested' }, h('tbody', {}, rows));
  }
  return h('span', {}, String(v));
}

/**
 * How a subtree is drawn. `remaining`: levels of references below this record that the fetch
 * resolved (a DID string seen with remaining ≥ 1 did not resolve). `expand`: draw embedded
 * records open (full view) rather than as links (on-demand view).
 */
function refNode(value, remaining, expand) {
  if (isRecordObject(value)) {
    const did = didOf(value);
    if (value._circular === true) {
      return h('div', { class: 'ref circular', 'data-did': did },
        h('span', { class: 'badge warn' }, 'circular'),
        ' ', h('a', { href: `#/record/${encodeURIComponent(did)}`, title: did }, nameOf(value)),
        h('span', { class: 'muted' }, ` ${typeOf(value)} — already open above; not expanded again`));
    }
    if (expand) return expandedRef(value, Math.max(remaining - 1, 0), true, did);
    return linkRef(did, value);
  }
  if (isDid(value)) {
    if (remaining >= 1) return unresolvedRef(value);
    return linkRef(value, null);
  }
  return plainValue(value);
}

function unresolvedRef(did) {
  return h('div', { class: 'ref unresolved', 'data-did': did },
    h('span', { class: 'badge bad' }, 'unresolved'),
    ' ', h('code', { title: did }, did),
    h('span', { class: 'muted' }, ' — missing, deleted or not visible to you'));
}

/** A reference button's label: the record's name and type, or the short DID until it is known. */
function refLabel(did, rec) {
  return h('span', { class: 'ref-label' }, rec
    ? [h('span', { class: 'ref-name' }, nameOf(rec)), ' ', h('span', { class: 'badge type' }, typeOf(rec))]
    : h('code', { class: 'ref-did' }, shortDid(did)));
}

/**
 * A collapsed reference: a button that fetches the record one level deep and shows it in place.
 * Its label wraps inside its own box, so the caret stays on the label's first line (app.css).
 */
function linkRef(did, known) {
  const wrap = h('div', { class: 'ref', 'data-did': did });
  const btn = h('button', {
    type: 'button',
    class: 'ref-link',
    'aria-expanded': 'false',
    title: `Expand ${did}`,
    'data-did': did,
  }, h('span', { class: 'caret', 'aria-hidden': 'true' }, '▸'), refLabel(did, known));
  const slot = h('div', { class: 'ref-slot' });
  let loaded = null;
  btn.addEventListener('click', async () => {
    if (loaded) {
      const open = btn.getAttribute('aria-expanded') === 'true';
      btn.setAttribute('aria-expanded', open ? 'false' : 'true');
      loaded.hidden = open;
      return;
    }
    btn.disabled = true;
    slot.replaceChildren(h('p', { class: 'muted loading' }, 'Loading…'));
    try {
      const { record } = await recordByDid(did, 1);
      if (!record) {
        wrap.replaceWith(unresolvedRef(did));
        return;
      }
      loaded = expandedBody(record, 1, false);
      slot.replaceChildren(loaded);
      btn.setAttribute('aria-expanded', 'true');
      btn.querySelector('.caret').textContent = '▾';
      if (!known) btn.querySelector('.ref-label').replaceWith(refLabel(did, record));
      btn.addEventListener('click', () => {
        btn.querySelector('.caret').textContent = btn.getAttribute('aria-expanded') === 'true' ? '▾' : '▸';
      });
    } catch (e) {
      slot.replaceChildren(errorBox(e));
    } finally {
      btn.disabled = false;
    }
  });
  wrap.append(btn, slot);
  return wrap;
}

/** An embedded record drawn open (full view). */
function expandedRef(rec, remaining, expand, did) {
  return h('div', { class: 'ref open', 'data-did': did },
    h('details', { open: true },
      h('summary', {}, h('span', { class: 'ref-name' }, nameOf(rec)), ' ', h('span', { class: 'badge type' }, typeOf(rec))),
      expandedBody(rec, remaining, expand)));
}

/** The body of a referenced record shown in place: its DID, then its sections. */
function expandedBody(rec, remaining, expand) {
  const did = didOf(rec);
  return h('div', { class: 'ref-body' },
    h('p', { class: 'ref-meta' },
      h('a', { href: `#/record/${encodeURIComponent(did)}`, title: 'Open this record' }, 'Open'), ' · ',
      h('code', { class: 'did' }, did), ' ', copyButton(did)),
    sections(rec, remaining, expand));
}

/** The `data` sections of a record as tables. */
function sections(rec, remaining, expand) {
  const data = (rec && rec.data) || {};
  const out = h('div', { class: 'sections' });
  for (const [name, section] of Object.entries(data)) {
    const box = h('section', { class: 'section' }, h('h3', {}, name));
    if (!section || typeof section !== 'object' || Array.isArray(section)) {
      box.append(plainValue(section));
      out.append(box);
      continue;
    }
    const rows = Object.entries(section).map(([field, value]) => {
      let cell;
      if (Array.isArray(value) && value.some((x) => isDid(x) || isRecordObject(x))) {
        cell = h('ol', { class: 'list refs' }, value.map((x) => h('li', {}, refNode(x, remaining, expand))));
      } else if (isDid(value) || isRecordObject(value)) {
        cell = refNode(value, remaining, expand);
      } else if (/date$/i.test(field) && typeof value === 'number' && value > 1e8 && value < 1e11) {
        cell = h('span', {}, new Date(value * 1000).toISOString().replace('T', ' ').replace(/:00\.000Z$|\.000Z$/, ' UTC'),
          h('span', { class: 'muted' }, ` (${value})`));
      } else {
        cell = plainValue(value);
      }
      return h('tr', {}, h('th', { scope: 'row' }, field), h('td', {}, cell));
    });
    box.append(h('table', { class: 'fields' }, h('tbody', {}, rows)));
    out.append(box);
  }
  return out;
}

function metaTable(rec) {
  const oip = rec.oip || {};
  const creator = oip.creator || {};
  const rows = [
    ['recordType', oip.recordType],
    ['status', oip.recordStatus],
    ['block', oip.inArweaveBlock],
    ['indexedAt', oip.indexedAt],
    ['storage', oip.storage],
    ['version', oip.ver],
    ['creator', creator.creatorHandle],
    ['creator DID', creator.didAddress],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  return h('table', { class: 'fields meta' }, h('tbody', {},
    rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, String(v))))));
}

export function errorBox(e) {
  const box = h('div', { class: 'error', role: 'alert' });
  if (e instanceof ApiError) {
    box.append(h('strong', {}, e.status ? `Error ${e.status}: ${e.error}` : e.error));
    if (e.detail) box.append(h('div', { class: 'detail' }, e.detail));
  } else {
    box.append(h('strong', {}, 'Error: '), String(e && e.message ? e.message : e));
  }
  return box;
}

/** The record dialog: open(did) shows one record; onClose is called when it closes. */
export class RecordView {
  constructor({ dialog, body, depth, raw, closeBtn, onClose }) {
    this.dialog = dialog;
    this.body = body;
    this.depth = depth;
    this.raw = raw;
    this.onClose = onClose;
    this.did = '';
    this.record = null;
    this.seq = 0;
    closeBtn.addEventListener('click', () => this.close());
    dialog.addEventListener('close', () => {
      this.did = '';
      this.onClose && this.onClose();
    });
    dialog.addEventListener('click', (ev) => {
      if (ev.target === dialog) this.close(); // click on the backdrop
    });
    depth.addEventListener('change', () => this.did && this.load());
    raw.addEventListener('change', () => this.render());
  }

  get isOpen() {
    return this.dialog.open;
  }

  open(did) {
    if (!this.dialog.open) {
      if (typeof this.dialog.showModal === 'function') this.dialog.showModal();
      else this.dialog.setAttribute('open', '');
    }
    if (did === this.did && this.record) return;
    this.did = did;
    this.load();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  async load() {
    const seq = ++this.seq;
    const did = this.did;
    const chosen = this.depth.value;
    const fetchDepth = chosen === '' ? 1 : Number(chosen);
    this.record = null;
    this.body.replaceChildren(h('p', { class: 'muted loading' }, `Loading ${did}…`));
    try {
      const { record } = await recordByDid(did, fetchDepth);
      if (seq !== this.seq) return;
      if (!record) {
        this.body.replaceChildren(
          h('h2', { id: 'rv-title', tabindex: '-1' }, 'Record not found'),
          h('div', { class: 'error', role: 'alert' },
            h('strong', {}, 'No record with this DID'),
            h('div', { class: 'detail' }, `${did} is missing, deleted, or not visible to you.`)));
        this.focusTitle();
        return;
      }
      this.record = record;
      this.fetchDepth = fetchDepth;
      this.expand = chosen !== '';
      this.render();
      this.focusTitle();
    } catch (e) {
      if (seq !== this.seq) return;
      this.body.replaceChildren(h('h2', { id: 'rv-title', tabindex: '-1' }, 'Could not load the record'), errorBox(e));
      this.focusTitle();
    }
  }

  focusTitle() {
    const t = this.body.querySelector('#rv-title');
    if (t) t.focus({ preventScroll: true });
  }

  render() {
    const rec = this.record;
    if (!rec) return;
    const did = didOf(rec);
    const basic = (rec.data && rec.data.basic) || {};
    const tags = Array.isArray(basic.tagItems) ? basic.tagItems : [];
    const access = accessOf(rec);
    const head = h('header', { class: 'rv-head' },
      h('h2', { id: 'rv-title', tabindex: '-1' }, nameOf(rec)),
      h('p', { class: 'rv-sub' },
        h('span', { class: 'badge type' }, typeOf(rec)),
        access ? h('span', { class: 'badge priv' }, access) : null,
        formatDate(rec) ? h('span', { class: 'muted' }, formatDate(rec)) : null),
      h('p', { class: 'rv-did' }, h('code', { class: 'did', id: 'rv-did' }, did), ' ', copyButton(did)),
      basic.description ? h('p', { class: 'desc' }, basic.description) : null,
      tags.length ? h('p', { class: 'tag-list' }, tags.map((t) => h('span', { class: 'tag' }, t))) : null);
    const note = this.expand
      ? `Full view: references resolved ${this.fetchDepth} level${this.fetchDepth === 1 ? '' : 's'} deep; deeper ones expand on click.`
      : 'References expand in place one level at a time.';
    let main;
    if (this.raw.checked) {
      main = h('pre', { class: 'raw', tabindex: '0', 'aria-label': 'Raw JSON' }, JSON.stringify(rec, null, 2));
    } else {
      main = h('div', {},
        h('p', { class: 'muted small-note' }, note),
        sections(rec, this.fetchDepth, this.expand),
        h('section', { class: 'section' }, h('h3', {}, 'oip'), metaTable(rec)));
    }
    this.body.replaceChildren(head, main);
  }
}
