// The consultant workspace and the customer page in a real browser (WorkspaceBrowserIT runs it against a live
// server with a slow Dify double): a consultant's tab in the background gets a desktop notification, a sound and the
// unread count in its title when a customer registers; the other consultant (on a phone, 375 px) sees the customer's
// card (display name, interests, source, phone masked, a live waited counter); clicking the notification opens the
// customer; a claim turns the other's card and inbox entry to 已由 X 认领; the customer picked interests from the
// catalogue, saw the welcome stream in piece by piece, sees the consultant by name and counts replies in the title
// while hidden; a page that reconnects shows only who still waits; an offer shows accept with its countdown; the
// console's notification settings show a bad value's error next to the field. Screenshots at 1280 and 375 px.
// Env: BASE_URL, A, A_NAME, B, B_NAME, PASSWORD, ADMIN, ADMIN_PASSWORD, CUSTOMER (a unique suffix), SHOTS.
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL;
const { A, A_NAME, B, B_NAME, PASSWORD } = process.env;
const suffix = process.env.CUSTOMER;
const shots = process.env.SHOTS;
const timeout = 15_000;
const t0 = Date.now();
const log = (...m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}s]`, ...m);
function check(ok, what) {
  if (!ok) throw new Error(what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const pages = {};

/**
 * A browser context as a person's device. With {@code alerts} the notification permission is granted (as if the
 * consultant had said yes) and the page records the notifications it shows (the real Notification API underneath)
 * and the sounds it plays. Headless Chromium keeps every page visible, so a test puts a page in the background
 * through the Page Visibility API (document.hidden + visibilitychange), which is what the page reads.
 */
async function open(name, width, alerts) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 812 : 860 }, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai' });
  if (alerts) await context.grantPermissions(['notifications'], { origin: base });
  await context.addInitScript(() => {
    window.__shown = [];
    window.__sounds = 0;
    const Real = window.Notification;
    if (Real) {
      window.Notification = class extends Real {
        constructor(title, options) {
          super(title, options);
          const rec = { title, body: options && options.body, tag: options && options.tag, shown: false, n: this };
          window.__shown.push(rec);
          this.addEventListener('show', () => { rec.shown = true; });
        }
      };
    }
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args) {
      window.__sounds++;
      return start.apply(this, args);
    };
    let hidden = false;
    Object.defineProperty(document, 'hidden', { get: () => hidden, configurable: true });
    Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible'), configurable: true });
    window.__setHidden = (h) => {
      hidden = h;
      document.dispatchEvent(new Event('visibilitychange'));
    };
  });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && log(name, 'console:', m.text()));
  page.on('pageerror', (e) => log(name, 'page error:', e.message));
  pages[name] = page;
  return page;
}

async function shoot(page, name) {
  if (!shots) return;
  await page.screenshot({ path: `${shots}/workspace-${name}-${page.viewportSize().width}.png` });
}

async function signIn(page, user, password) {
  await page.goto(base + '/consultant/');
  await page.fill('#login input[name=username]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}

/** The API as the page itself calls it, with its session's token. */
function apiFrom(page, key, method, path, body) {
  return page.evaluate(async ([k, m, p, b]) => {
    const token = sessionStorage.getItem(k);
    const res = await fetch('/api/v1' + p, { method: m, headers: { Authorization: 'Bearer ' + token,
      'Content-Type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, [key, method, path, body]);
}

async function register(username, extra) {
  const res = await fetch(base + '/api/v1/auth/register', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, email: username + '@example.com', password: 'customer-password', ...extra }) });
  check(res.status === 201, 'register ' + username + ': ' + res.status);
  return (await res.json()).id;
}

async function adminToken() {
  const res = await fetch(base + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username_or_email: process.env.ADMIN, password: process.env.ADMIN_PASSWORD }) });
  return (await res.json()).access_token;
}

async function adminPut(path, body) {
  const res = await fetch(base + '/api/v1' + path, { method: 'PUT', headers: { 'Content-Type': 'application/json',
    Authorization: 'Bearer ' + await adminToken() }, body: JSON.stringify(body) });
  check(res.status === 200, 'PUT ' + path + ': ' + res.status);
}

const card = (page, name) => page.locator('#waiting li.card', { hasText: name });

try {
  // ---- two consultants: 李 at a desk (1280), 王 on a phone (375) ---------------------------------------------------
  const a = await open('a', 1280, true);
  await signIn(a, A, 'wrong-password');
  await a.locator('#login-error', { hasText: '用户名、邮箱或密码错误' }).waitFor({ timeout });
  log('a wrong password shows the zh-CN message:', await a.textContent('#login-error'));
  await signIn(a, A, PASSWORD);
  await a.waitForSelector('#status[data-state="online"]', { timeout });
  check((await a.textContent('#me')) === A_NAME, 'a is named ' + (await a.textContent('#me')));
  check(await a.locator('#alert-banner').isHidden(), 'a was asked again although the permission is granted');

  const b = await open('b', 375, false);
  await signIn(b, B, PASSWORD);
  await b.waitForSelector('#status[data-state="online"]', { timeout });
  await b.waitForSelector('#alert-banner:not(.hidden)', { timeout });
  const reason = await b.textContent('#alert-banner');
  check(reason.includes('后台') && reason.includes('提醒'), 'the banner gives no reason: ' + reason);
  const header = await b.evaluate(() => document.querySelector('header').getBoundingClientRect().height);
  check(header < 60, 'the header wraps at 375 px: ' + header + ' px');
  await shoot(b, 'consultant-ask');
  await b.click('#alerts-later');
  log('both consultants online; the phone was asked once, with the reason');

  // a's tab goes to the background
  await a.evaluate(() => window.__setHidden(true));

  // ---- the customer registers with interests and a source, and watches the welcome being written ---------------
  const cust = await open('customer', 375, false);
  await cust.goto(base + '/customer/');
  await cust.waitForSelector('#interest-chips button.chip', { timeout });
  const name = '王小美' + suffix;
  await cust.fill('#register input[name=username]', 'mei_' + suffix);
  await cust.fill('#register input[name=email]', 'mei_' + suffix + '@example.com');
  await cust.fill('#register input[name=password]', 'customer-password');
  await cust.fill('#register input[name=full_name]', name);
  await cust.fill('#register input[name=phone]', '13800138000');
  await cust.click('#interest-chips button.chip[data-name="水光针"]');
  await cust.click('#interest-chips button.chip[data-name="光子嫩肤"]');
  await cust.selectOption('#source', 'douyin');
  await shoot(cust, 'customer-register');
  const registeredAt = Date.now();
  await cust.click('#register button[type=submit]');
  await cust.waitForSelector('#app:not(.hidden)', { timeout });
  // every text the preview showed, as it grew
  await cust.evaluate(() => {
    window.__previews = [];
    new MutationObserver(() => {
      const p = document.querySelector('#welcome-preview .text');
      if (p && window.__previews[window.__previews.length - 1] !== p.textContent) window.__previews.push(p.textContent);
    }).observe(document.getElementById('messages'), { childList: true, subtree: true, characterData: true });
  });
  await cust.waitForFunction(() => (window.__previews || []).some((t) => t.length >= 8), null, { timeout });
  await shoot(cust, 'customer-streaming');
  const stored = '.message[data-kind="welcome"]:not(#welcome-preview)';
  await cust.waitForSelector(stored, { timeout });
  const welcome = (await cust.textContent(stored));
  const content = await cust.evaluate((sel) => document.querySelector(sel).lastChild.textContent, stored);
  const previews = await cust.evaluate(() => window.__previews);
  // texts the customer saw before the end: each a growing part of the final welcome
  const partial = previews.map((t) => t.replace(/^…/, ''))
    .filter((t) => t.length > 0 && t.length < content.length && content.includes(t));
  check(partial.length >= 3, 'the welcome did not stream visibly: ' + JSON.stringify(previews));
  check(welcome.includes(name) && welcome.includes('水光针'), 'the welcome: ' + welcome);
  check(welcome.startsWith('AI 助手'), 'the welcome is labelled ' + welcome.slice(0, 10));
  log(`customer saw the welcome grow through ${previews.length} states (${partial.length} partial) before it was stored`);

  // ---- a, in the background: desktop notification, sound, title ------------------------------------------------
  const shown = await a.waitForFunction((n) => window.__shown.find((s) => s.body && s.body.includes(n) && s.shown)
    && { sounds: window.__sounds, title: document.title, shown: window.__shown.map((s) => s.title) }, name, { timeout });
  const alerted = await shown.jsonValue();
  check(alerted.sounds > 0, 'no sound played');
  check(/^\(\d+\) 顾问工作台/.test(alerted.title), 'title: ' + alerted.title);
  check(alerted.shown.includes('新客户注册'), 'notification titles: ' + alerted.shown);
  log(`a (background tab): notification shown, sound played, title "${alerted.title}", ${Date.now() - registeredAt} ms`);

  // ---- b's card: who, what, where from, phone masked, waiting time counting ----------------------------------------
  const bCard = card(b, name);
  await bCard.waitFor({ timeout });
  check((await bCard.locator('.name').textContent()) === name, 'card name');
  const chips = await bCard.locator('.chip').allTextContents();
  check(chips.includes('水光针') && chips.includes('光子嫩肤'), 'interests ' + chips);
  check((await bCard.locator('.source').textContent()) === '来源：抖音', 'source');
  check((await bCard.locator('.phone').textContent()) === '手机：138****8000', 'phone ' + await bCard.locator('.phone').textContent());
  const w1 = await bCard.locator('.waited').textContent();
  let w2 = w1;
  for (const deadline = Date.now() + 5000; w2 === w1 && Date.now() < deadline;) {
    await b.waitForTimeout(200);
    w2 = await bCard.locator('.waited').textContent();
  }
  check(/^已等待 \d+ 秒$/.test(w1) && w2 !== w1, 'the waited counter: ' + w1 + ' → ' + w2);
  log('b\'s card:', (await bCard.textContent()).replace(/\s+/g, ' '));
  check(!(await b.content()).includes('13800138000'), 'the phone leaks before the claim');
  await shoot(b, 'consultant-card');
  await a.evaluate(() => window.__setHidden(false));
  await card(a, name).waitFor({ timeout });
  await shoot(a, 'consultant-card');

  // ---- clicking a's notification opens the customer -----------------------------------------------------------------
  await a.evaluate((n) => window.__shown.find((s) => s.body.includes(n)).n.dispatchEvent(new Event('click')), name);
  await a.waitForSelector('#chat:not(.hidden)', { timeout });
  check((await a.textContent('#chat-title')) === name, 'chat title: ' + await a.textContent('#chat-title'));
  await a.locator('#messages .message[data-sender-type="ai"] .meta', { hasText: 'AI 助手' }).waitFor({ timeout });
  log('a clicked the notification: the customer\'s conversation is open, titled by name');

  // ---- b claims: a's card, chat and inbox say who ----------------------------------------------------------------------
  await bCard.locator('button.claim').click();
  await b.waitForSelector('#chat:not(.hidden)', { timeout });
  check((await b.textContent('#chat-title')) === name, 'b chat title');
  check((await b.textContent('#chat-info')).includes('13800138000'), 'the claiming consultant sees the phone');
  await card(a, name).locator('.state', { hasText: `已由 ${B_NAME} 认领` }).waitFor({ timeout });
  await a.locator('#chat-note', { hasText: `已由 ${B_NAME} 接待` }).waitFor({ timeout });
  log(`a: card and open chat say 已由 ${B_NAME} 认领/接待`);
  await shoot(a, 'consultant-claimed');

  // ---- the chat by name; the customer's hidden tab counts replies ----------------------------------------------------------
  await cust.locator('#consultant-note', { hasText: B_NAME }).waitFor({ timeout });
  await b.fill('#send-form textarea', '您好，我是' + B_NAME + '，很高兴为您服务');
  await b.click('#send-form button[type=submit]');
  await cust.locator('.message[data-sender-type="consultant"] .meta', { hasText: '顾问 ' + B_NAME }).waitFor({ timeout });
  await cust.evaluate(() => window.__setHidden(true));
  await b.fill('#send-form textarea', '水光针一个疗程三次，我给您详细介绍一下');
  await b.click('#send-form button[type=submit]');
  await cust.waitForFunction(() => document.title.startsWith('(1) '), null, { timeout });
  await cust.evaluate(() => window.__setHidden(false));
  await cust.waitForFunction(() => !document.title.startsWith('('), null, { timeout });
  await cust.fill('#send-form textarea', '好的，想了解价格');
  await cust.click('#send-form button[type=submit]');
  await b.locator('#messages .message[data-sender-type="customer"] .meta', { hasText: name }).waitFor({ timeout });
  await shoot(b, 'consultant-chat');
  await shoot(cust, 'customer-chat');
  log('chat by name both ways; the hidden customer tab counted the reply in its title');

  // ---- a's laptop closes; two customers arrive; one is taken meanwhile; a comes back --------------------------------
  await a.close();
  await b.click('#chat-back'); // b leaves the chat for the list (on a phone the chat fills the screen)
  const bToken = await b.evaluate(() => sessionStorage.getItem('consultant.token'));
  const takenName = '李先生' + suffix;
  const waitingName = '赵女士' + suffix;
  await register('taken_' + suffix, { full_name: takenName, source: 'wechat' });
  await register('waiting_' + suffix, { full_name: waitingName, interests: ['瘦脸针'], source: 'xiaohongshu' });
  const takenCard = card(b, takenName);
  await takenCard.waitFor({ timeout });
  await card(b, waitingName).waitFor({ timeout });
  await takenCard.locator('button.claim').click();
  await b.waitForSelector('#chat:not(.hidden)', { timeout });
  await b.click('#chat-back');
  const a2 = await open('a2', 1280, true);
  await signIn(a2, A, PASSWORD);
  await a2.waitForSelector('#status[data-state="online"]', { timeout });
  await card(a2, waitingName).waitFor({ timeout });
  check(await card(a2, takenName).count() === 0, 'the customer claimed while away is still shown as waiting');
  await a2.locator('#inbox li', { hasText: takenName }).locator('.state', { hasText: `已由 ${B_NAME} 认领` })
    .waitFor({ timeout });
  await a2.locator('#inbox li', { hasText: waitingName }).locator('.state', { hasText: '等待认领' }).waitFor({ timeout });
  log('a reconnected: only the customer still waiting is a card; the inbox says who took the other');
  await shoot(a2, 'consultant-reconnected');
  // b takes the one still waiting: a's card and inbox entry change at once (the entry no longer says 等待认领)
  await card(b, waitingName).locator('button.claim').click();
  await b.waitForSelector('#chat:not(.hidden)', { timeout });
  await b.click('#chat-back');
  await card(a2, waitingName).locator('.state', { hasText: `已由 ${B_NAME} 认领` }).waitFor({ timeout });
  await a2.locator('#inbox li', { hasText: waitingName }).locator('.state', { hasText: `已由 ${B_NAME} 认领` })
    .waitFor({ timeout });
  log('a\'s card and inbox entry turned to 已由 ' + B_NAME + ' 认领 live');
  check(bToken, 'b has a session');

  // ---- an offer: accept with its countdown ---------------------------------------------------------------------------
  await adminPut('/admin/notification-settings', { assignment_mode: 'round_robin', offer_seconds: 45 });
  const offeredName = '孙小姐' + suffix;
  await register('offered_' + suffix, { full_name: offeredName, interests: ['小气泡深层清洁'], source: 'meituan' });
  const offered = await Promise.any([a2, b].map((p) => card(p, offeredName).waitFor({ timeout }).then(() => p)));
  const offerCard = card(offered, offeredName);
  check((await offerCard.getAttribute('data-kind')) === 'offer', 'not an offer card');
  const first = await offerCard.locator('button.accept').textContent();
  await offered.waitForFunction(([n, before]) => [...document.querySelectorAll('#waiting li.card')]
    .find((li) => li.textContent.includes(n))?.querySelector('button.accept')?.textContent !== before,
  [offeredName, first], { timeout: 5000 });
  const second = await offerCard.locator('button.accept').textContent();
  check(/^接受（\d+ 秒）$/.test(first) && Number(second.match(/\d+/)[0]) < Number(first.match(/\d+/)[0]),
    'countdown ' + first + ' → ' + second);
  const other = offered === b ? a2 : b;
  check(await card(other, offeredName).count() === 0, 'the other consultant sees the offered customer');
  await shoot(offered, 'consultant-offer');
  await offerCard.locator('button.accept').click();
  await offered.waitForSelector('#chat:not(.hidden)', { timeout });
  check((await offered.textContent('#chat-title')) === offeredName, 'accepted chat title');
  log(`offer: ${first} → ${second}, accepted`);
  await adminPut('/admin/notification-settings', { assignment_mode: 'broadcast', offer_seconds: 60 });

  // ---- the console: notification settings with field errors, staff names ----------------------------------------------
  for (const width of [1280, 375]) {
    const admin = await open('admin' + width, width, false);
    await admin.goto(base + '/admin/');
    await admin.fill('#login input[name=username]', process.env.ADMIN);
    await admin.fill('#login input[name=password]', process.env.ADMIN_PASSWORD);
    await admin.click('#login button[type=submit]');
    await admin.waitForSelector('#tabs a[data-tab="settings"]', { timeout });
    await admin.click('#tabs a[data-tab="settings"]');
    await admin.waitForSelector('#notify-form', { timeout });
    await admin.fill('#notify-form input[name=ack_seconds]', '1');
    await admin.selectOption('#notify-form select[name=assignment_mode]', 'least_loaded');
    await admin.click('#notify-save');
    await admin.waitForFunction(() => document.querySelector('#notify-form small[data-field="ack_seconds"]').textContent
      .trim() !== '', null, { timeout });
    const error = (await admin.textContent('#notify-form small[data-field="ack_seconds"]')).trim();
    check(/[\u4e00-\u9fff]/.test(error), 'the field error is not zh-CN: ' + error);
    const saved = await (await fetch(base + '/api/v1/admin/notification-settings', { headers:
      { Authorization: 'Bearer ' + await adminToken() } })).json();
    check(saved.assignment_mode === 'broadcast' && saved.ack_seconds === 10, 'a refused change was saved');
    await admin.locator('#notify-settings').scrollIntoViewIfNeeded();
    const wide = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(wide <= 1, 'settings wider than the screen: ' + wide);
    await shoot(admin, 'admin-notify-settings');
    await admin.click('#tabs a[data-tab="staff"]');
    await admin.locator('#staff-table tr', { hasText: B }).locator('input[name="display_name"]').waitFor({ timeout });
    check(await admin.locator('#staff-table tr', { hasText: B }).locator('input[name="display_name"]').inputValue()
      === B_NAME, 'the staff panel shows the display name');
    await shoot(admin, 'admin-staff');
    log(`console at ${width} px: "${error}" next to the field, nothing saved; staff display names shown`);
  }
  console.log('WORKSPACE OK');
} catch (err) {
  console.error('WORKSPACE FAILED:', err.message);
  if (shots) {
    for (const [n, page] of Object.entries(pages)) {
      if (!page.isClosed()) await page.screenshot({ path: `${shots}/failed-${n}.png`, fullPage: true }).catch(() => {});
    }
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
