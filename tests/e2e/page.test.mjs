// End-to-end tests of the web page at `/`: the real server on the demo store, driven by headless
// Chromium. Every test asserts no page errors, no console errors and no request leaving the server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SHOTS, apiGet, cardNames, isList, launchBrowser, listLoad, mintToken, names, openPage, startServer, total,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  console.log(`# screenshots of every step: ${SHOTS}`);
});

async function home(ctx) {
  await listLoad(ctx.page, () => ctx.page.goto(`${server.base}/`));
  await ctx.page.waitForSelector('#type-counts li');
}

describe('oipd page', () => {
  test('page files are small, local and served', async () => {
    let bytes = 0;
    for (const p of ['/', '/app.css', '/app.js', '/api.js', '/record.js', '/memory.js']) {
      const res = await fetch(`${server.base}${p}`);
      assert.equal(res.status, 200, p);
      const text = await res.text();
      bytes += Buffer.byteLength(text);
      assert.doesNotMatch(text, /(src|href)=["']https?:/i, `${p} references an external URL`);
      assert.doesNotMatch(text, /import[^;]*from\s+['"]https?:/i, `${p} imports from an external URL`);
    }
    assert.ok(bytes < 150 * 1024, `page weight ${bytes} bytes`);
  });

  test('cards render and match the API; store figures; first render is two calls', async () => {
    const ctx = await openPage(browser.context, server.base, 'cards');
    await home(ctx);
    // Reported, not asserted: a shared CI machine makes a wall-clock bound flaky.
    const timing = await ctx.page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const mark = performance.getEntriesByName('cards-rendered')[0];
      return { html: nav.responseEnd, dom: nav.domContentLoadedEventEnd, cards: mark ? mark.startTime : NaN };
    });
    console.log(`# first page: HTML received ${timing.html.toFixed(0)} ms, DOM ready ${timing.dom.toFixed(0)} ms, cards drawn ${timing.cards.toFixed(0)} ms after navigation start`);
    await ctx.shot('home');
    const env = await apiGet(server.base, '/api/records?limit=20&page=1&sortBy=inArweaveBlock:desc');
    assert.deepEqual(await cardNames(ctx.page), names(env));
    assert.equal(await total(ctx.page), env.searchResults);
    assert.equal(await ctx.page.textContent('#page-info'), `Page 1 of ${env.totalPages}`);
    const dids = await ctx.page.$$eval('#results .card', (els) => els.map((e) => e.dataset.did));
    assert.deepEqual(dids, env.records.map((r) => r.oip.did || r.oip.didTx));

    const rt = await apiGet(server.base, '/api/records/recordTypes');
    assert.equal(await ctx.page.textContent('#stat-records'), rt.totalRecords.toLocaleString('en'));
    assert.equal(await ctx.page.textContent('#stat-block'), env.latestArweaveBlockInDB.toLocaleString('en'));
    const rows = await ctx.page.$$eval('#type-counts .type-row', (els) => els.map((e) => [e.dataset.type, Number(e.querySelector('.type-count').textContent)]));
    assert.deepEqual(rows, rt.recordTypes.map((t) => [t.recordType, t.count]));
    const options = await ctx.page.$$eval('#type-filter option', (els) => els.map((e) => e.value).filter(Boolean));
    assert.deepEqual(options, rt.recordTypes.map((t) => t.recordType));
    // The card shows type, date, DID and tags of its record.
    const first = env.records[0];
    const card = ctx.page.locator('#results .card').first();
    assert.equal(await card.locator('.badge.type').textContent(), first.oip.recordType);
    assert.equal(await card.locator('time').textContent(), new Date(first.data.basic.date * 1000).toISOString().slice(0, 10));
    assert.deepEqual(await card.locator('.tag').allTextContents(), first.data.basic.tagItems);

    // First render: one recordTypes call and one records call (the memory panel comes after).
    const apiCalls = ctx.requests.filter((u) => /\/api\/records/.test(u));
    assert.equal(apiCalls.filter((u) => /\/api\/records\/recordTypes/.test(u)).length, 1, apiCalls.join('\n'));
    assert.equal(apiCalls.filter((u) => isList(u)).length, 1, apiCalls.join('\n'));
    await ctx.finish(assert);
  });

  test('search narrows the list (AND, then OR), Enter submits', async () => {
    const ctx = await openPage(browser.context, server.base, 'search');
    await home(ctx);
    const all = await total(ctx.page);
    await ctx.page.fill('#search', 'protein sleep');
    let url = await listLoad(ctx.page, () => ctx.page.press('#search', 'Enter'));
    assert.equal(url.searchParams.get('search'), 'protein sleep');
    assert.equal(url.searchParams.get('searchMatchMode'), 'AND');
    let env = await apiGet(server.base, '/api/records?limit=20&search=protein%20sleep&searchMatchMode=AND&sortBy=inArweaveBlock:desc');
    assert.equal(await total(ctx.page), env.searchResults);
    assert.deepEqual(await cardNames(ctx.page), names(env));
    await ctx.shot('search-and');

    url = await listLoad(ctx.page, () => ctx.page.check('input[name="mode"][value="OR"]'));
    assert.equal(url.searchParams.get('searchMatchMode'), 'OR');
    env = await apiGet(server.base, '/api/records?limit=20&search=protein%20sleep&searchMatchMode=OR&sortBy=inArweaveBlock:desc');
    assert.equal(await total(ctx.page), env.searchResults);
    assert.deepEqual(await cardNames(ctx.page), names(env));
    assert.ok(env.searchResults > 0 && env.searchResults < all, `OR search finds ${env.searchResults} of ${all}`);
    await ctx.shot('search-or');

    await ctx.page.fill('#search', 'protein');
    await listLoad(ctx.page, () => ctx.page.click('#search-form button[type="submit"]'));
    env = await apiGet(server.base, '/api/records?limit=20&search=protein&searchMatchMode=OR&sortBy=inArweaveBlock:desc');
    assert.equal(await total(ctx.page), env.searchResults);
    await ctx.finish(assert);
  });

  test('type filter, tag chips and sort', async () => {
    const ctx = await openPage(browser.context, server.base, 'filters');
    await home(ctx);
    // Tag chips come from the tag summary of the current query.
    const summary = await apiGet(server.base, '/api/records?summarizeTags=true&tagCount=30&limit=1');
    const chips = await ctx.page.$$eval('#tags .chip', (els) => els.map((e) => e.dataset.tag));
    assert.deepEqual(chips, summary.tagSummary.map((t) => t.tag));

    let url = await listLoad(ctx.page, () => ctx.page.selectOption('#type-filter', 'exercise'));
    assert.equal(url.searchParams.get('recordType'), 'exercise');
    let env = await apiGet(server.base, '/api/records?limit=20&recordType=exercise&sortBy=inArweaveBlock:desc');
    assert.equal(await total(ctx.page), env.searchResults);
    assert.deepEqual(await cardNames(ctx.page), names(env));
    const types = await ctx.page.$$eval('#results .card', (els) => [...new Set(els.map((e) => e.dataset.type))]);
    assert.deepEqual(types, ['exercise']);
    await ctx.shot('type-exercise');

    url = await listLoad(ctx.page, () => ctx.page.click('#tags .chip[data-tag="core"]'));
    assert.equal(url.searchParams.get('tags'), 'core');
    env = await apiGet(server.base, '/api/records?limit=20&recordType=exercise&tags=core&sortBy=inArweaveBlock:desc');
    assert.ok(env.searchResults > 0 && env.searchResults < 50);
    assert.equal(await total(ctx.page), env.searchResults);
    assert.deepEqual(await cardNames(ctx.page), names(env));
    assert.equal(await ctx.page.getAttribute('#tags .chip[data-tag="core"]', 'aria-pressed'), 'true');
    await ctx.shot('tag-core');

    url = await listLoad(ctx.page, () => ctx.page.selectOption('#sort', 'date:asc'));
    assert.equal(url.searchParams.get('sortBy'), 'date:asc');
    env = await apiGet(server.base, '/api/records?limit=20&recordType=exercise&tags=core&sortBy=date:asc');
    assert.deepEqual(await cardNames(ctx.page), names(env));

    // Clicking the pressed chip removes the tag; the type row in the side panel sets the type.
    await listLoad(ctx.page, () => ctx.page.click('#tags .chip[data-tag="core"]'));
    assert.equal(await total(ctx.page), 50);
    await listLoad(ctx.page, () => ctx.page.click('#type-counts .type-row[data-type="recipe"]'));
    assert.equal(await ctx.page.inputValue('#type-filter'), 'recipe');
    assert.equal(await total(ctx.page), 20);
    await ctx.finish(assert);
  });

  test('paging reaches the last page', async () => {
    const ctx = await openPage(browser.context, server.base, 'paging');
    await home(ctx);
    const p1 = await apiGet(server.base, '/api/records?limit=20&page=1&sortBy=inArweaveBlock:desc');
    assert.ok(p1.totalPages > 2);
    assert.ok(await ctx.page.isDisabled('#prev'));
    await listLoad(ctx.page, () => ctx.page.click('#next'));
    const p2 = await apiGet(server.base, '/api/records?limit=20&page=2&sortBy=inArweaveBlock:desc');
    assert.deepEqual(await cardNames(ctx.page), names(p2));
    assert.equal(await ctx.page.textContent('#page-info'), `Page 2 of ${p1.totalPages}`);
    await listLoad(ctx.page, () => ctx.page.click('#last'));
    const last = await apiGet(server.base, `/api/records?limit=20&page=${p1.totalPages}&sortBy=inArweaveBlock:desc`);
    assert.deepEqual(await cardNames(ctx.page), names(last));
    assert.equal(await ctx.page.textContent('#page-info'), `Page ${p1.totalPages} of ${p1.totalPages}`);
    assert.ok(await ctx.page.isDisabled('#next'));
    assert.ok(await ctx.page.isDisabled('#last'));
    await ctx.shot('last-page');
    await listLoad(ctx.page, () => ctx.page.selectOption('#limit', '50'));
    assert.equal(await ctx.page.textContent('#page-info'), `Page 1 of ${Math.ceil(p1.searchResults / 50)}`);
    assert.equal((await cardNames(ctx.page)).length, 50);
    await ctx.finish(assert);
  });

  test('opening a record and expanding a reference fetches it in place; Escape closes', async () => {
    const ctx = await openPage(browser.context, server.base, 'record');
    const { page } = ctx;
    await home(ctx);
    const env = await apiGet(server.base, '/api/records?limit=1&recordType=exercise&sortBy=inArweaveBlock:desc');
    const ex = env.records[0];
    const equipDid = ex.data.exercise.equipmentRequired[0];
    const equip = (await apiGet(server.base, `/api/records?did=${encodeURIComponent(equipDid)}`)).records[0];
    await listLoad(page, () => page.selectOption('#type-filter', 'exercise'));
    await page.click(`#results .card[data-did="${ex.oip.did}"] .card-link`);
    await page.waitForSelector('#record-view[open] #rv-title');
    assert.equal(await page.textContent('#rv-title'), ex.data.basic.name);
    assert.equal(await page.textContent('#rv-did'), ex.oip.did);
    assert.equal(new URL(page.url()).hash, `#/record/${encodeURIComponent(ex.oip.did)}`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'rv-title');
    // The sections are tables of fields.
    const fields = await page.$$eval('#rv-body .sections > .section', (els) => els.map((e) => e.querySelector('h3').textContent));
    assert.deepEqual(fields, Object.keys(ex.data));
    await ctx.shot('record-open');

    const ref = page.locator(`#rv-body .ref-link[data-did="${equipDid}"]`).first();
    assert.equal(await ref.getAttribute('aria-expanded'), 'false');
    const fetched = page.waitForResponse((r) => {
      const u = new URL(r.url());
      return u.pathname === '/api/records' && u.searchParams.get('did') === equipDid && u.searchParams.get('resolveDepth') === '1';
    });
    await ref.click();
    await fetched;
    await page.waitForSelector(`#rv-body .ref[data-did="${equipDid}"] .ref-body`);
    assert.equal(await ref.getAttribute('aria-expanded'), 'true');
    const inner = page.locator(`#rv-body .ref[data-did="${equipDid}"] .ref-body`).first();
    assert.ok((await inner.textContent()).includes(equip.data.basic.name));
    await ctx.shot('reference-expanded');

    await page.check('#rv-raw');
    assert.ok((await page.textContent('#rv-body pre.raw')).includes(`"did": "${ex.oip.did}"`));
    await page.uncheck('#rv-raw');

    await page.keyboard.press('Escape');
    await page.waitForSelector('#record-view:not([open])', { state: 'attached' });
    await page.waitForFunction(() => location.hash === '');
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('card-link')), true);
    await ctx.finish(assert);
  });

  test('unresolved and circular references are marked; depth selector', async () => {
    const ctx = await openPage(browser.context, server.base, 'refs');
    const { page } = ctx;
    const dangling = (await apiGet(server.base, '/api/records?unresolveable=true&limit=1')).records[0];
    await page.goto(`${server.base}/#/record/${encodeURIComponent(dangling.oip.did)}`);
    await page.waitForSelector('#rv-body .ref.unresolved');
    let missing = null;
    for (const d of dangling.data.basic.citations) {
      if ((await apiGet(server.base, `/api/records?did=${encodeURIComponent(d)}`)).records.length === 0) missing = d;
    }
    assert.ok(missing, 'the demo store has a dangling citation');
    assert.equal(await page.getAttribute('#rv-body .ref.unresolved', 'data-did'), missing);
    await ctx.shot('unresolved');

    // A citation cycle: at depth 3 the record comes back as a `_circular` stub.
    const posts = await apiGet(server.base, '/api/records?recordType=post&limit=100&resolveDepth=3&resolveFieldName=basic.citations');
    const cyclic = posts.records.find((r) => JSON.stringify(r).includes('"_circular":true'));
    assert.ok(cyclic, 'the demo store has a citation cycle');
    const did = cyclic.oip.did || cyclic.oip.didTx;
    await page.goto(`${server.base}/#/record/${encodeURIComponent(did)}`);
    await page.waitForSelector('#record-view[open] #rv-title');
    const deep = page.waitForResponse((r) => new URL(r.url()).searchParams.get('resolveDepth') === '3');
    await page.selectOption('#rv-depth', '3');
    await deep;
    await page.waitForSelector('#rv-body .ref.circular');
    assert.ok(await page.locator('#rv-body .ref.open details[open]').count() > 0);
    await ctx.shot('circular-depth-3');

    // A DID that is not in the store: an inline message, not a blank dialog.
    await page.goto(`${server.base}/#/record/${encodeURIComponent('did:arweave:doesNotExist')}`);
    await page.waitForFunction(() => document.querySelector('#rv-title') && document.querySelector('#rv-title').textContent === 'Record not found');
    await ctx.shot('not-found');
    await ctx.finish(assert);
  });

  test('a deep link opens a record directly', async () => {
    const ctx = await openPage(browser.context, server.base, 'deeplink');
    const recipe = (await apiGet(server.base, '/api/records?recordType=recipe&limit=1&sortBy=date:asc')).records[0];
    const did = recipe.oip.did || recipe.oip.didTx;
    await ctx.page.goto(`${server.base}/#/record/${encodeURIComponent(did)}`);
    await ctx.page.waitForSelector('#record-view[open] #rv-title');
    assert.equal(await ctx.page.textContent('#rv-title'), recipe.data.basic.name);
    assert.ok(await ctx.page.locator('#rv-body .ref-link').count() > 0, 'recipe references are links');
    await ctx.shot('deep-link');
    await ctx.page.click('#rv-close');
    await ctx.page.waitForFunction(() => location.hash === '');
    await ctx.page.waitForSelector('#results .card');
    await ctx.finish(assert);
  });

  test('a token reveals the owner\'s private records; removing it hides them', async () => {
    const ctx = await openPage(browser.context, server.base, 'token');
    const { page } = ctx;
    const token = mintToken();
    await home(ctx);
    assert.equal(await page.textContent('#who'), 'anonymous');
    const anonTypes = await page.$$eval('#type-filter option', (els) => els.map((e) => e.value));
    assert.ok(!anonTypes.includes('userFitnessProfile'));

    await page.click('#token-toggle');
    await page.fill('#token-input', token);
    const types = page.waitForResponse((r) => r.url().endsWith('/api/records/recordTypes'));
    await listLoad(page, () => page.click('#token-form button[type="submit"]'));
    await types;
    await page.waitForSelector('#type-counts .type-row[data-type="userFitnessProfile"]');
    assert.equal(await page.textContent('#who-email'), 'demo@oipd.local');
    assert.equal(await page.getAttribute('#who-key', 'title'), '02b81f1bdcaca064383979b911f8cdbae80bb6167d2e96c25a07c071429187cb15');
    assert.equal(await page.evaluate(() => localStorage.getItem('oipd.token')), token);
    const rt = await apiGet(server.base, '/api/records/recordTypes', token);
    assert.equal(await page.textContent('#stat-records'), rt.totalRecords.toLocaleString('en'));
    await ctx.shot('signed-in');

    // The token goes with every call: a private schedule is listed.
    await listLoad(page, () => page.selectOption('#type-filter', 'workoutSchedule'));
    const schedules = await apiGet(server.base, '/api/records?limit=20&recordType=workoutSchedule&sortBy=inArweaveBlock:desc', token);
    assert.ok(schedules.searchResults > 0);
    assert.equal(await total(page), schedules.searchResults);
    assert.deepEqual(await cardNames(page), names(schedules));
    assert.ok(await page.locator('#results .badge.priv').count() > 0);
    await ctx.shot('private-schedules');

    // It survives a reload (local storage), and so does the filter (the URL).
    await listLoad(page, () => page.reload());
    await page.waitForSelector('#who-email');
    assert.deepEqual(await cardNames(page), names(schedules));

    await page.click('#token-toggle');
    await listLoad(page, () => page.click('#token-remove'));
    await page.waitForFunction(() => document.querySelector('#who').textContent === 'anonymous');
    await page.waitForFunction(() => !document.querySelector('#type-counts .type-row[data-type="userFitnessProfile"]'));
    assert.equal(await page.evaluate(() => localStorage.getItem('oipd.token')), null);
    // The private schedules are gone with it.
    const anon = await apiGet(server.base, '/api/records?limit=20&recordType=workoutSchedule&sortBy=inArweaveBlock:desc');
    assert.equal(anon.searchResults, 0);
    assert.equal(await page.textContent('#summary'), 'No records match the filters.');
    assert.equal(await page.locator('#results .card').count(), 0);
    await ctx.shot('signed-out');
    await ctx.finish(assert);
  });

  test('the memory panel shows numbers and a sparkline that grows', async () => {
    const ctx = await openPage(browser.context, server.base, 'memory');
    const { page } = ctx;
    await home(ctx);
    await page.waitForSelector('#mem-rss');
    assert.match(await page.textContent('#mem-rss'), /^\d+(\.\d)? (B|KiB|MiB|GiB)$/);
    assert.match(await page.textContent('#mem-cache-bytes'), /^\d+(\.\d)? (B|KiB|MiB|GiB)of 64\.0 MiB$/);
    assert.match(await page.textContent('#mem-cache-entries'), /^[\d,]+$/);
    assert.match(await page.textContent('#mem-hit-rate'), /^(\d+\.\d %|–)$/);
    // GET /api/health/memory adds peak RSS where the server has it (it may answer 404).
    if ((await fetch(`${server.base}/api/health/memory`)).status === 200) {
      assert.match(await page.textContent('#mem-peak'), /^\d+(\.\d)? (KiB|MiB|GiB)$/);
    }
    // A second sample 5 s later draws a line.
    await page.waitForFunction(() => {
      const l = document.querySelector('#memory .spark polyline');
      return l && l.getAttribute('points').trim().split(' ').length >= 2;
    }, null, { timeout: 12_000 });
    assert.ok(ctx.requests.filter((u) => u.endsWith('/api/health')).length >= 2);
    await ctx.shot('memory');
    await ctx.finish(assert);
  });

  test('API errors are shown inline', async () => {
    const ctx = await openPage(browser.context, server.base, 'errors', { allowConsole: [/status of 400/] });
    const { page } = ctx;
    await home(ctx);
    // A real 400 of the API: the page never sends an unknown sortBy, so the test adds an option.
    await page.evaluate(() => {
      const o = document.createElement('option');
      o.value = 'nonsense:desc';
      o.textContent = 'broken';
      document.querySelector('#sort').append(o);
    });
    const res = page.waitForResponse((r) => isList(r.url()) && r.status() === 400);
    await page.selectOption('#sort', 'nonsense:desc');
    await res;
    await page.waitForSelector('#error:not([hidden])');
    const text = await page.textContent('#error');
    assert.match(text, /Error 400: invalid query parameter/);
    assert.match(text, /sortBy/);
    assert.ok(await page.locator('#results .card').count() > 0, 'the previous cards stay');
    await ctx.shot('error-inline');
    await listLoad(page, () => page.selectOption('#sort', 'date:desc'));
    assert.ok(await page.isHidden('#error'));
    await ctx.finish(assert);
  });

  test('phone width and keyboard use', async () => {
    const ctx = await openPage(browser.context, server.base, 'phone');
    const { page } = ctx;
    await page.setViewportSize({ width: 390, height: 844 });
    await home(ctx);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
    await ctx.shot('phone-list');
    // Tab order: skip link, then the search box; Enter searches.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
    await page.keyboard.type('kettlebell');
    await listLoad(page, () => page.keyboard.press('Enter'));
    const env = await apiGet(server.base, '/api/records?limit=20&search=kettlebell&searchMatchMode=AND&sortBy=inArweaveBlock:desc');
    assert.equal(await total(page), env.searchResults);
    // Open the first card with the keyboard; Escape closes it.
    await page.focus('#results .card-link');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#record-view[open] #rv-title');
    const dialogOverflow = await page.evaluate(() => document.querySelector('#record-view').scrollWidth - window.innerWidth);
    assert.ok(dialogOverflow <= 0, `record view overflows by ${dialogOverflow}px`);
    await ctx.shot('phone-record');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#record-view:not([open])', { state: 'attached' });
    await ctx.page.setViewportSize({ width: 1280, height: 900 });
    await ctx.finish(assert);
  });
});
