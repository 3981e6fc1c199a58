// The public pages in a real browser (Debian's chromium, headless, through
// playwright-core): a relay test of a closed Holdfast and of an open
// Postfix, a refused address, a blacklist lookup, the same without
// JavaScript. A screenshot of every page lands in SHOTS.
//   BASE=http://127.0.0.1:8025 CLOSED=127.0.0.1:2525 OPEN=127.0.0.1:3025
//   LISTED=192.0.2.10 SHOTS=dir node web.mjs
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const { BASE, CLOSED, OPEN, LISTED, SHOTS, ADMIN_USER, ADMIN_PASSWORD } = process.env;
mkdirSync(SHOTS, { recursive: true });
const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
const shot = async (page, name) => {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  console.log(`screenshot ${SHOTS}/${name}.png`);
};

// Submits the one field and waits for the verdict (the page follows the
// test over server-sent events, or refreshes itself without JavaScript).
async function relayTest(page, address, name) {
  await page.goto(BASE + '/');
  await page.getByLabel('Address to test').fill(address);
  await page.getByRole('button', { name: 'Test for Relay' }).click();
  await page.waitForURL(/\/relay-tests\/[0-9a-f]{32}$/);
  // The progress page, when the test is still running (it may reload at any moment).
  try {
    if (await page.locator('#progress').count()) await shot(page, `${name}-running`);
  } catch (e) {
    console.log(`no progress screenshot: ${e.message.split('\n')[0]}`);
  }
  await page.locator('#verdict').waitFor({ timeout: 120000 });
  await shot(page, name);
  return (await page.locator('#verdict strong').first().textContent()).trim();
}

try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => { throw e; });

  await page.goto(BASE + '/');
  await shot(page, 'front');
  assert.equal(await page.getByRole('button', { name: 'Test for Relay' }).count(), 1);

  assert.equal(await relayTest(page, CLOSED, 'closed-holdfast'), 'closed');
  const refusedRows = await page.locator('tr.result-refused').count();
  assert.ok(refusedRows >= 30, `only ${refusedRows} refused vectors`);
  console.log(`closed: ${refusedRows} vectors refused`);

  assert.equal(await relayTest(page, OPEN, 'open-postfix'), 'open');
  const relayed = await page.locator('tr.result-relayed').count();
  assert.ok(relayed >= 1, 'no relayed vector shown');
  assert.ok(await page.getByText('What to do now').isVisible());
  assert.ok(await page.locator('tr.result-relayed', { hasText: 'nmap-01' }).count() === 1);
  console.log(`open: ${relayed} vectors relayed`);

  await page.goto(BASE + '/');
  await page.getByLabel('Address to test').fill('198.51.100.1');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/relay-tests')),
    page.getByRole('button', { name: 'Test for Relay' }).click(),
  ]);
  assert.equal(response.status(), 403);
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /cannot be used to test other servers/);
  await shot(page, 'refused-outside');

  await page.goto(BASE + '/rbl');
  await page.getByLabel('IP address or domain').fill(LISTED);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.locator('#summary').waitFor();
  assert.match(await page.locator('#summary').textContent(), /listed/);
  const row = page.locator('tr.zone-listed', { hasText: 'bl.test' });
  assert.equal(await row.count(), 1);
  assert.ok(await row.getByRole('link', { name: 'removal' }).count() === 1);
  await shot(page, 'rbl-listed');

  // A phone, without JavaScript: the form posts, the page refreshes itself.
  const phone = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const p2 = await phone.newPage();
  await p2.goto(BASE + '/');
  await shot(p2, 'front-phone');
  const width = await p2.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the front page is ${width}px wide on a 390px phone`);
  assert.equal(await relayTest(p2, CLOSED, 'closed-holdfast-nojs'), 'closed');

  // Staff: log in, suspend a customer, see a violation, a form without its
  // CSRF token refused, flush a domain's queue, a customer's page, log out.
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(BASE + '/admin');
  await admin.getByLabel('User name').waitFor();
  await shot(admin, 'admin-login');
  await admin.getByLabel('User name').fill(ADMIN_USER);
  await admin.getByLabel('Password').fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Log in' }).click();
  await admin.locator('#customers').waitFor();
  const acme = admin.locator('tr[data-customer="acme"]');
  assert.match(await acme.textContent(), /active/);
  assert.match(await admin.locator('#violations').textContent(), /192\.0\.2\.25:25/);
  await shot(admin, 'admin');
  await acme.getByRole('button', { name: 'Suspend' }).click();
  await admin.locator('tr[data-customer="acme"] .status-suspended').waitFor();
  await shot(admin, 'admin-suspended');
  // The same form with its token removed: refused.
  await acme.locator('input[name="csrf"]').evaluate((e) => e.remove());
  const [refused] = await Promise.all([
    admin.waitForResponse((r) => r.url().includes('/admin/customers/acme/')),
    acme.getByRole('button', { name: 'Unsuspend' }).click(),
  ]);
  assert.equal(refused.status(), 403);
  await shot(admin, 'admin-csrf-refused');
  // The backup queue: two messages wait for backup.test, whose primary is
  // down; flush the domain, land on its page with both messages listed.
  await admin.goto(BASE + '/admin');
  const queued = admin.locator('tr[data-domain="backup.test"]');
  assert.equal((await queued.locator('td').nth(1).textContent()).trim(), '2');
  await queued.getByRole('button', { name: 'Flush' }).click();
  await admin.locator('#messages').waitFor();
  assert.equal(await admin.locator('tr[data-message]').count(), 2);
  await shot(admin, 'admin-queue');
  // A customer's page: the edit form, relay tests, MX history, violations.
  await admin.goto(BASE + '/admin/customers/acme');
  await admin.locator('#customer-form').waitFor();
  assert.match(await admin.locator('#customer-violations').textContent(), /192\.0\.2\.25:25/);
  await shot(admin, 'admin-customer');
  await admin.goto(BASE + '/admin');
  await admin.getByRole('button', { name: 'Log out' }).click();
  await admin.getByLabel('User name').waitFor();
  await admin.goto(BASE + '/admin');
  await admin.getByLabel('User name').waitFor();  // the session is gone
  await shot(admin, 'admin-logged-out');
  console.log('ok');
} finally {
  await browser.close();
}
