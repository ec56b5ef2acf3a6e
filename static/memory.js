// Memory panel of the oipd page: RSS and resolution-cache figures from `GET /api/health` (and
// `GET /api/health/memory` when the server has that route), refreshed every 5 s, with an inline
// SVG sparkline of RSS over the last minutes.

import { health, healthMemory, ApiError } from './api.js';
import { h } from './record.js';

const PERIOD_MS = 5000;
const KEEP = 120; // samples: 10 minutes at 5 s
const SVG_NS = 'http://www.w3.org/2000/svg';
const MiB = 1024 * 1024;
// The sparkline's scale spans at least this much, or this share of the highest sample, so that a
// process steady within a fraction of a MiB draws a flat line, not a cliff.
const MIN_SPAN_BYTES = 4 * MiB;
const MIN_SPAN_SHARE = 0.25;

export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function svg(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * The vertical scale `[lo, hi]` of a sparkline of `values` (bytes): their range, widened about its
 * middle to the minimum span and kept at or above zero.
 */
export function sparkScale(values) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = Math.max(hi - lo, MIN_SPAN_BYTES, hi * MIN_SPAN_SHARE);
  const bottom = Math.max(0, (lo + hi) / 2 - span / 2);
  return [bottom, bottom + span];
}

/** An SVG sparkline of `values` (at least one), on the scale of `sparkScale`. */
export function sparkline(values, width = 220, height = 40) {
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width: '100%',
    height,
    class: 'spark',
    role: 'img',
    preserveAspectRatio: 'none',
  });
  const title = svg('title', {});
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  title.textContent = `RSS over the last ${Math.round((values.length - 1) * PERIOD_MS / 60000 * 10) / 10} min: ${formatBytes(lo)} – ${formatBytes(hi)}`;
  root.append(title);
  const [bottom, top] = sparkScale(values);
  const span = top - bottom;
  const step = values.length > 1 ? width / (Math.max(values.length, 12) - 1) : 0;
  const x0 = width - step * (values.length - 1);
  const pts = values.map((v, i) => {
    const x = x0 + i * step;
    const y = height - 3 - ((v - bottom) / span) * (height - 6);
    return [x, y];
  });
  const line = pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  if (pts.length > 1) {
    root.append(svg('polygon', {
      points: `${pts[0][0].toFixed(1)},${height} ${line} ${pts[pts.length - 1][0].toFixed(1)},${height}`,
      class: 'spark-fill',
    }));
  }
  root.append(svg('polyline', { points: line, class: 'spark-line', fill: 'none' }));
  const [lx, ly] = pts[pts.length - 1];
  root.append(svg('circle', { cx: lx.toFixed(1), cy: ly.toFixed(1), r: 2.5, class: 'spark-dot' }));
  return root;
}

function row(label, value, id) {
  return h('div', {}, h('dt', {}, label), h('dd', { id }, value));
}

/** Flattens the numeric leaves of an object into [path, value] pairs. */
function numericLeaves(obj, prefix = '', out = []) {
  if (!obj || typeof obj !== 'object') return out;
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number') out.push([path, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v)) numericLeaves(v, path, out);
  }
  return out;
}

export class MemoryPanel {
  constructor(container) {
    this.container = container;
    this.samples = [];
    this.memoryRoute = true; // until /api/health/memory answers 404
    this.timer = null;
    this.busy = false;
  }

  start() {
    this.tick();
    this.timer = setInterval(() => this.tick(), PERIOD_MS);
  }

  async tick() {
    if (this.busy) return;
    this.busy = true;
    try {
      const hd = await health();
      let mem = null;
      if (this.memoryRoute) {
        try {
          mem = await healthMemory();
          if (mem === null) this.memoryRoute = false;
        } catch (e) {
          if (e instanceof ApiError && e.status >= 400 && e.status < 500) this.memoryRoute = false;
        }
      }
      if (typeof hd.rssBytes === 'number') {
        this.samples.push(hd.rssBytes);
        if (this.samples.length > KEEP) this.samples.shift();
      }
      this.render(hd, mem);
    } catch (e) {
      this.renderError(e);
    } finally {
      this.busy = false;
    }
  }

  render(hd, mem) {
    const c = hd.cache || {};
    const lookups = (c.hits || 0) + (c.misses || 0);
    const rate = lookups ? `${((100 * (c.hits || 0)) / lookups).toFixed(1)} %` : '–';
    const capPct = c.capBytes ? h('span', { class: 'of' }, `of ${formatBytes(c.capBytes)}`) : null;
    const dl = h('dl', { class: 'figures mem' },
      row('RSS', formatBytes(hd.rssBytes), 'mem-rss'),
      row('Cache', [formatBytes(c.bytes), capPct], 'mem-cache-bytes'),
      row('Entries', typeof c.entries === 'number' ? c.entries.toLocaleString('en') : '–', 'mem-cache-entries'),
      row('Hit rate', rate, 'mem-hit-rate'));
    if (mem && typeof mem.peakBytes === 'number') dl.append(row('Peak RSS', formatBytes(mem.peakBytes), 'mem-peak'));
    const alloc = mem && mem.allocator && mem.allocator.figures;
    const heap = alloc && typeof alloc.allocatedBytes === 'number';
    if (heap) dl.append(row(`Heap (${mem.allocator.name || 'allocator'})`, formatBytes(alloc.allocatedBytes), 'mem-heap'));
    // Unlike the list's figures, which count what the caller may read: this is every record held.
    if (typeof hd.records === 'number') {
      dl.append(row('In the store', [hd.records.toLocaleString('en'), h('span', { class: 'of' }, 'records of all owners, private included')], 'mem-records'));
    }
    const parts = [dl];
    if (this.samples.length) parts.push(sparkBox(this.samples));
    parts.push(h('p', { class: 'muted small-note', id: 'mem-explain' }, heap
      ? 'Heap: what oipd\'s live objects take now, the caches among them. RSS: all the memory the system gives the process, the heap plus memory the allocator keeps for reuse, code and thread stacks, so it is larger than the heap and falls more slowly.'
      : 'RSS: all the memory the system gives the process: its objects and caches, memory kept for reuse, code and thread stacks.'));
    parts.push(h('p', { class: 'muted small-note' },
      `${lookups.toLocaleString('en')} cache lookups · ${hd.inFlight ?? 0} in flight · ${formatBytes(hd.bytesStreamed)} streamed · v${hd.version ?? '?'}`));
    if (mem) {
      const leaves = numericLeaves(mem).slice(0, 12);
      if (leaves.length) {
        parts.push(h('details', { class: 'mem-extra' }, h('summary', {}, 'All memory figures'),
          h('dl', { class: 'figures mem' }, leaves.map(([k, v]) => row(k, /bytes$/i.test(k) ? formatBytes(v) : v.toLocaleString('en'))))));
      }
    }
    this.container.replaceChildren(...parts);
  }

  renderError(e) {
    const msg = e instanceof ApiError ? e.message : String(e);
    const parts = [h('p', { class: 'error' }, `Health check failed: ${msg}`)];
    if (this.samples.length) parts.push(sparkBox(this.samples));
    this.container.replaceChildren(...parts);
  }
}

/** The sparkline of RSS samples with its scale written under it. */
function sparkBox(samples) {
  const [bottom, top] = sparkScale(samples);
  return h('div', { class: 'spark-wrap' }, sparkline(samples),
    h('p', { class: 'muted small-note spark-scale' }, `scale ${formatBytes(bottom)} – ${formatBytes(top)}`));
}
