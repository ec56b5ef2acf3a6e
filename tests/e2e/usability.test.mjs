// End-to-end tests of the page's usability, each a friction a new user met (issue 13): the whole
// card opens its record, a rejected token is not claimed, the record counts say what they count,
// the memory sparkline keeps its scale, the list's state lives in the URL, and a reference's caret
// stays beside its label on a phone. Same harness and checks as page.test.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SHOTS, apiGet, cardNames, launchBrowser, listLoad, mintToken, names, openPage, startServer, total,
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

const recordOpen = (page) => page.waitForSelector('#record-view[open] #rv-title', { timeout: 3000 });

async function closeRecord(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#record-view:not([open])', { state: 'attached' });
  await page.waitForFunction(() => location.hash === '');
}

describe('oipd page usability (issue 13)', () => {
  test('the whole card opens its record, by mouse anywhere on it and by keyboard', async () => {
    const ctx = await openPage(browser.context, server.base, 'card-opens');
    const { page } = ctx;
    await home(ctx);
    const cards = page.locator('#results .card');
    const second = cards.nth(1);
    const did = await second.getAttribute('data-did');
    // A click on the card's lower right corner, away from its title.
    const box = await second.boundingBox();
    await page.mouse.click(box.x + box.width - 10, box.y + box.height - 6);
    await recordOpen(page);
    assert.equal(new URL(page.url()).hash, `#/record/${encodeURIComponent(did)}`);
    await ctx.shot('opened-by-card-corner');
    await closeRecord(page);

    // Keyboard: one tab stop per card, the whole card shows the focus, Enter opens it.
    await cards.nth(0).locator('.card-link').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.closest('.card').dataset.did), did);
    const outline = await second.evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused card is outlined');
    await ctx.shot('card-focused');
    await page.keyboard.press('Enter');
    await recordOpen(page);
    assert.equal(new URL(page.url()).hash, `#/record/${encodeURIComponent(did)}`);
    await closeRecord(page);
    await ctx.finish(assert);
  });

  test('a rejected token is reported, not stored and not claimed', async () => {
    const ctx = await openPage(browser.context, server.base, 'token-rejected');
    const { page } = ctx;
    await home(ctx);
    await page.click('#token-toggle');
    const forged = mintToken({ secret: 'not-this-node' });
    await page.fill('#token-input', forged);
    await page.click('#token-form button[type="submit"]');
    await page.waitForFunction(() => /rejected/i.test(document.querySelector('#token-status').textContent));
    await ctx.shot('forged-token');
    assert.equal(await page.textContent('#token-toggle'), 'Token');
    assert.equal(await page.textContent('#who'), 'anonymous');
    assert.equal(await page.evaluate(() => localStorage.getItem('oipd.token')), null);
    assert.equal(await page.getAttribute('#token-status', 'role'), 'alert');
    assert.equal(await page.inputValue('#token-input'), forged, 'the rejected token stays to be corrected');

    // A token kept from an earlier visit that has expired since: the page says so on load.
    await page.evaluate((t) => localStorage.setItem('oipd.token', t), mintToken({ ttl: -3600 }));
    await listLoad(page, () => page.reload());
    await page.waitForFunction(() => /not accepted/i.test(document.querySelector('#who').textContent));
    assert.equal(await page.textContent('#token-toggle'), 'Token ✗');
    assert.equal(await page.getAttribute('#token-toggle', 'aria-label'), 'Token (not accepted)');
    await ctx.shot('expired-token');

    // A good token after a rejected one is taken.
    await page.click('#token-toggle');
    await page.fill('#token-input', mintToken());
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('#who-email');
    assert.equal(await page.textContent('#token-toggle'), 'Token ✓');
    await page.evaluate(() => localStorage.removeItem('oipd.token'));
    await ctx.finish(assert);
  });

  test('the record counts and the memory figures say what they count', async () => {
    const ctx = await openPage(browser.context, server.base, 'counts');
    const { page } = ctx;
    await home(ctx);
    await page.waitForSelector('#mem-records');
    const rt = await apiGet(server.base, '/api/records/recordTypes');
    const list = await apiGet(server.base, '/api/records?limit=1');
    const health = await apiGet(server.base, '/api/health');
    // The demo store holds private records and delete messages, so the three figures differ.
    assert.ok(health.records > rt.totalRecords && rt.totalRecords > list.searchResults);
    await ctx.shot('three-counts');

    const label = (id) => page.evaluate((i) => document.getElementById(i).previousElementSibling.textContent, id);
    assert.equal(await page.textContent('#stat-records'), rt.totalRecords.toLocaleString('en'));
    assert.match(await label('stat-records'), /you can read/i);
    assert.match(await page.textContent('#stat-records-note'), /delete messages included/i);

    const summary = await page.textContent('#summary');
    assert.equal(await total(page), list.searchResults);
    assert.match(summary, new RegExp(`^${list.searchResults} records listed \\(delete messages left out\\)`));
    await listLoad(page, () => page.selectOption('#type-filter', 'recipe'));
    assert.match(await page.textContent('#summary'), /^20 records match the filters/);

    assert.match(await page.textContent('#mem-records'), new RegExp(`^${health.records.toLocaleString('en')}`));
    assert.match(await label('mem-records'), /in the store/i);
    assert.match(await page.textContent('#mem-records'), /all owners, private included/i);

    // RSS and heap are explained where they are shown.
    const explain = await page.textContent('#mem-explain');
    assert.match(explain, /RSS/);
    if ((await fetch(`${server.base}/api/health/memory`)).status === 200) {
      await page.waitForSelector('#mem-heap');
      assert.match(explain, /heap/i);
      assert.match(explain, /larger than the heap/);
    }
    await ctx.finish(assert);
  });

  test('the sparkline keeps a small wobble flat and shows real growth', async () => {
    const ctx = await openPage(browser.context, server.base, 'sparkline');
    const { page } = ctx;
    await home(ctx);
    await page.waitForSelector('#memory .spark');
    // The panel's own sparkline function, fed known series; its height is 40.
    const rise = await page.evaluate(async () => {
      const { sparkline } = await import('/memory.js');
      const MiB = 1024 * 1024;
      const span = (values) => {
        const ys = sparkline(values).querySelector('polyline').getAttribute('points')
          .trim().split(' ').map((p) => Number(p.split(',')[1]));
        return Math.max(...ys) - Math.min(...ys);
      };
      return {
        wobble: span([32, 32.1, 32, 32.05, 32].map((v) => v * MiB)),
        doubling: span([32, 40, 48, 64].map((v) => v * MiB)),
        small: span([2, 2.1, 2].map((v) => v * MiB)),
      };
    });
    assert.ok(rise.wobble < 2, `a 0.1 MiB wobble at 32 MiB rises ${rise.wobble} px of 40`);
    assert.ok(rise.small < 2, `a 0.1 MiB wobble at 2 MiB rises ${rise.small} px of 40`);
    assert.ok(rise.doubling > 30, `RSS doubling rises ${rise.doubling} px of 40`);
    // The scale is written beside the line.
    assert.match(await page.textContent('#memory .spark-scale'), /^scale \d+(\.\d)? (B|KiB|MiB|GiB) – \d+(\.\d)? (B|KiB|MiB|GiB)$/);
    await ctx.finish(assert);
  });

  test('search, filters, sort and page live in the URL: reload, share, back and forward', async () => {
    const ctx = await openPage(browser.context, server.base, 'url-state');
    const { page } = ctx;
    await home(ctx);
    await page.fill('#search', 'press squat row');
    await page.check('input[name="mode"][value="OR"]');
    await listLoad(page, () => page.press('#search', 'Enter'));
    await listLoad(page, () => page.selectOption('#type-filter', 'exercise'));
    await listLoad(page, () => page.click('#tags .chip[data-tag="main"]'));
    await listLoad(page, () => page.selectOption('#sort', 'date:asc'));
    await listLoad(page, () => page.selectOption('#limit', '10'));
    await listLoad(page, () => page.click('#next'));

    const want = {
      search: 'press squat row', searchMatchMode: 'OR', recordType: 'exercise', tags: 'main', sortBy: 'date:asc', limit: '10',
    };
    const query = new URLSearchParams(want).toString();
    const p1 = await apiGet(server.base, `/api/records?${query}&page=1`);
    const p2 = await apiGet(server.base, `/api/records?${query}&page=2`);
    assert.ok(p1.totalPages >= 2, `${p1.searchResults} matches`);
    const shared = page.url();
    assert.deepEqual(Object.fromEntries(new URL(shared).searchParams), { ...want, page: '2' });

    async function shows(p, env, pageNo) {
      await p.waitForSelector('#tags .chip[data-tag="main"]');
      assert.deepEqual(await cardNames(p), names(env));
      assert.equal(await p.textContent('#page-info'), `Page ${pageNo} of ${p1.totalPages}`);
      assert.equal(await p.inputValue('#search'), want.search);
      assert.ok(await p.isChecked('input[name="mode"][value="OR"]'));
      assert.equal(await p.inputValue('#type-filter'), want.recordType);
      assert.equal(await p.inputValue('#sort'), want.sortBy);
      assert.equal(await p.inputValue('#limit'), want.limit);
      assert.equal(await p.getAttribute('#tags .chip[data-tag="main"]', 'aria-pressed'), 'true');
    }
    await shows(page, p2, 2);
    await listLoad(page, () => page.reload());
    await shows(page, p2, 2);
    await ctx.shot('after-reload');

    const other = await openPage(browser.context, server.base, 'url-state-shared');
    await listLoad(other.page, () => other.page.goto(shared));
    await shows(other.page, p2, 2);
    await other.finish(assert);

    await listLoad(page, () => page.goBack());
    await shows(page, p1, 1);
    assert.equal(new URL(page.url()).searchParams.get('page'), null);
    await listLoad(page, () => page.goBack());
    assert.equal(await page.inputValue('#limit'), '20');
    assert.equal(await total(page), p1.searchResults);
    await listLoad(page, () => page.goForward());
    await listLoad(page, () => page.goForward());
    await shows(page, p2, 2);
    assert.equal(page.url(), shared);

    // A record opened from the list closes back to the same list URL.
    await page.click('#results .card-link');
    await recordOpen(page);
    await closeRecord(page);
    assert.equal(page.url(), shared);
    await ctx.finish(assert);
  });

  test('on a phone a reference button keeps its caret beside its label', async () => {
    const ctx = await openPage(browser.context, server.base, 'phone-caret');
    const { page } = ctx;
    await page.setViewportSize({ width: 390, height: 844 });
    // Posts cite images and posts with long names.
    const posts = await apiGet(server.base, '/api/records?recordType=post&limit=5&sortBy=date:asc');
    let checked = 0;
    for (const post of posts.records) {
      await page.goto(`${server.base}/#/record/${encodeURIComponent(post.oip.did)}`);
      await page.waitForSelector('#record-view[open] #rv-title');
      const lonely = await page.$$eval('#rv-body .ref-link', (buttons) => buttons.map((b) => {
        const caret = b.querySelector('.caret').getBoundingClientRect();
        const label = [...b.children].filter((c) => !c.classList.contains('caret'));
        const firstLine = Math.min(...label.map((c) => c.getClientRects()[0].top));
        return firstLine >= caret.bottom - 1 ? b.textContent : null;
      }));
      checked += lonely.length;
      assert.deepEqual(lonely.filter(Boolean), [], `references of ${post.oip.did} whose caret is alone on its line`);
    }
    assert.ok(checked > 0, 'the posts have references');
    await ctx.shot('phone-references');
    await page.setViewportSize({ width: 1280, height: 900 });
    await ctx.finish(assert);
  });
});
