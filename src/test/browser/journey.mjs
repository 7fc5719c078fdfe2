// Browser journey (BrowserJourneyIT runs it against a live server): two consultants online, a customer registers
// on the customer page, both consultants see the notification (live and in their inbox), one claims it, the other
// sees it claimed, the customer sees the welcome and then the consultant's reply live, and the consultant sees the
// customer's answer.
// Consultants are named by display name (A_NAME, B_NAME) on every page.
// Env: BASE_URL, CONSULTANT_A, CONSULTANT_B, A_NAME, B_NAME, PASSWORD, CUSTOMER, SHOTS (folder for failure screenshots).
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL;
const [a, b] = [process.env.CONSULTANT_A, process.env.CONSULTANT_B];
const aName = process.env.A_NAME;
const password = process.env.PASSWORD;
const customer = process.env.CUSTOMER;
const timeout = 10_000;
const t0 = Date.now();
const log = (...m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}s]`, ...m);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const pages = {};
try {
  async function consultant(name) {
    const page = await (await browser.newContext()).newPage();
    page.on('console', (m) => m.type() === 'error' && log(name, 'console:', m.text()));
    pages[name] = page;
    await page.goto(base + '/consultant/');
    await page.fill('#login input[name=username]', name);
    await page.fill('#login input[name=password]', password);
    await page.click('#login button[type=submit]');
    // the bridge tells the page once its socket counts as online
    await page.waitForSelector('#status[data-state="online"]', { timeout });
    log(name, 'online');
    return page;
  }
  const pageA = await consultant(a);
  const pageB = await consultant(b);

  const cust = await (await browser.newContext()).newPage();
  pages.customer = cust;
  cust.on('console', (m) => m.type() === 'error' && log('customer console:', m.text()));
  await cust.goto(base + '/customer/');
  // a username the API refuses: the page shows the field's zh-CN error (details_zh), not the English one
  await cust.fill('#register input[name=username]', 'a b');
  await cust.fill('#register input[name=email]', customer + '@example.com');
  await cust.fill('#register input[name=password]', 'customer-password');
  await cust.click('#register button[type=submit]');
  await cust.locator('#register-error', { hasText: '用户名：须为 3 到 32 个字符' }).waitFor({ timeout });
  log('customer sees the zh-CN field error:', await cust.textContent('#register-error'));
  await cust.fill('#register input[name=username]', customer);
  await cust.fill('#register input[name=email]', customer + '@example.com');
  await cust.fill('#register input[name=password]', 'customer-password');
  const registeredAt = Date.now();
  await cust.click('#register button[type=submit]');
  log('customer registered');

  const item = (page) => page.locator('#waiting li.card', { hasText: customer });
  await Promise.all([pageA, pageB].map((p) => item(p).waitFor({ timeout })));
  log(`both consultants see the new customer (${Date.now() - registeredAt} ms after registering)`);
  // and it is in their unread inbox (the row is written just after the live copy goes out)
  await Promise.all([pageA, pageB].map((p) => p.locator('#inbox li', { hasText: customer }).waitFor({ timeout })));
  log('both consultants have it in their unread inbox');

  // the stored welcome (the streamed preview, if the page saw it, is replaced by it)
  const stored = '.message[data-kind="welcome"]:not(#welcome-preview)';
  await cust.waitForSelector(stored, { timeout });
  const welcome = await cust.textContent(stored);
  if (!welcome.includes(customer)) throw new Error('the welcome does not name the customer: ' + welcome);
  log('customer sees the welcome:', welcome.slice(0, 60));

  await item(pageA).locator('button.claim').click();
  await pageA.locator('#mine li', { hasText: customer }).waitFor({ timeout });
  await item(pageB).locator('.state', { hasText: `已由 ${aName} 认领` }).waitFor({ timeout });
  if (await item(pageB).locator('button.claim').count() > 0) throw new Error('B can still claim');
  log('A claimed; B sees it claimed by A, by name');

  await cust.locator('#consultant-note', { hasText: aName }).waitFor({ timeout });
  await pageA.waitForSelector('#chat:not(.hidden)', { timeout });
  await pageA.fill('#send-form textarea', '您好，我是您的专属顾问');
  await pageA.click('#send-form button[type=submit]');
  await cust.locator('.message[data-sender-type="consultant"][data-via="live"]', { hasText: '专属顾问' })
    .waitFor({ timeout });
  log('customer got the consultant reply live');

  await cust.fill('#send-form textarea', '想了解补水项目');
  await cust.click('#send-form button[type=submit]');
  await pageA.locator('#messages .message[data-sender-type="customer"]', { hasText: '补水' }).waitFor({ timeout });
  log('consultant got the customer message live');
  console.log('JOURNEY OK');
} catch (err) {
  console.error('JOURNEY FAILED:', err.message);
  if (process.env.SHOTS) {
    for (const [name, page] of Object.entries(pages)) {
      await page.screenshot({ path: `${process.env.SHOTS}/${name}.png`, fullPage: true }).catch(() => {});
    }
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
