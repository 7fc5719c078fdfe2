// The operations console in a real browser (AdminConsoleIT runs it against a live server): the admin logs in, the
// charts draw the server's figures, a dead job raised while the page is open appears live and is retried from the
// page until it succeeds, an MCP key is rotated with the confirmation step and its grace (the old key works until the
// admin revokes it, then gets 401 on /mcp at once), a group's quota is set, the welcome guard's phrases are edited
// and a sample checked in the preview,
// a setting with a bad value shows its error next to the field and nothing is saved, the customer timeline opens;
// an operator sees no edit controls and the API refuses them. Screenshots of every panel at 1280 and 375 px.
// Env: BASE_URL, MCP_URL, ADMIN, ADMIN_PASSWORD, OPERATOR, OPERATOR_PASSWORD, GROUP (a test tool group), CUSTOMER
// (a registered customer's display name), SHOTS (folder for screenshots). Talks to the test over stdin/stdout:
// prints "NEED dead_job" and waits for "dead_job <job id>", prints "NEED gateway" and waits for "gateway up".
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const base = process.env.BASE_URL;
const timeout = 15_000;
const shots = process.env.SHOTS;
const t0 = Date.now();
const log = (...m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}s]`, ...m);
const lines = readline.createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', (l) => waiting.shift()?.(l.trim()));
/** Asks the test (Java) to do something on the server side and waits for its answer line. */
function ask(what) {
  return new Promise((resolve) => { waiting.push(resolve); console.log('NEED ' + what); });
}
function check(ok, what) {
  if (!ok) throw new Error(what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const pages = {};

async function open(name, width) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 812 : 860 }, locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && log(name, 'console:', m.text()));
  page.on('pageerror', (e) => log(name, 'page error:', e.message));
  pages[name] = page;
  return page;
}

async function signIn(page, user, password) {
  await page.goto(base + '/admin/');
  await page.fill('#login input[name=username]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#status[data-state="online"]', { timeout });
}

async function tab(page, id) {
  await page.click(`#tabs a[data-tab="${id}"]`);
  await page.waitForSelector(`#panel-${id}:visible`, { timeout });
}

async function shoot(page, name) {
  if (!shots) return;
  await page.waitForTimeout(400); // charts animate in; a screenshot mid-animation shows half bars
  await page.screenshot({ path: `${shots}/admin-${name}-${page.viewportSize().width}.png` });
}

/** The page's own API call with its session token (what the console itself would send). */
function apiFrom(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const { token } = JSON.parse(sessionStorage.getItem('admin.session'));
    const res = await fetch('/api/v1' + p, { method: m, headers: { Authorization: 'Bearer ' + token,
      'Content-Type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, [method, path, body]);
}

async function mcpStatus(key) {
  const res = await fetch(process.env.MCP_URL + '/mcp', { method: 'POST', headers: {
    Authorization: 'Bearer ' + key, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18',
    capabilities: {}, clientInfo: { name: 'console-test', version: '1' } } }) });
  await res.text();
  return res.status;
}

try {
  // ---- the admin, desktop ---------------------------------------------------------------------------------------
  const admin = await open('admin', 1280);
  await signIn(admin, process.env.ADMIN, process.env.ADMIN_PASSWORD);
  log('admin logged in, console listening');
  await admin.waitForSelector('#kpis', { timeout });
  const drawn = await admin.waitForFunction(() => {
    const c = echarts.getInstanceByDom(document.getElementById('chart-trends'));
    const sources = echarts.getInstanceByDom(document.getElementById('chart-sources'));
    const mcp = echarts.getInstanceByDom(document.getElementById('chart-mcp'));
    if (!c || !sources || !mcp) return false;
    const registered = c.getOption().series[0].data.reduce((a, b) => a + b, 0);
    const welcomed = sources.getOption().series[0].data.reduce((a, d) => a + d.value, 0);
    const calls = mcp.getOption().series[0].data.reduce((a, b) => a + b, 0);
    return registered > 0 && welcomed > 0 && calls > 0 && document.querySelector('#chart-trends canvas')
      ? { registered, welcomed, calls } : false;
  }, null, { timeout });
  log('charts drawn with the server\'s figures:', JSON.stringify(await drawn.jsonValue()));
  await admin.waitForSelector('#today-counters:visible', { timeout });
  log('live counters arrived');
  const guardLine = (await admin.locator('#guard-counts').textContent({ timeout })).replace(/\s+/g, '');
  check(/通过[1-9]/.test(guardLine), 'the dashboard counts the welcome guard\'s verdicts: ' + guardLine);
  await shoot(admin, 'dashboard');

  // a dead job while the page is open: the alert arrives live
  const jobLine = await ask('dead_job');
  const jobId = jobLine.split(' ')[1];
  await admin.waitForSelector('#alerts li[data-kind="automation_job_dead"]', { timeout });
  log('the dead job\'s alert appeared live');
  await shoot(admin, 'alerts');

  // retried from the failed-jobs panel: it succeeds
  await tab(admin, 'jobs');
  const row = admin.locator(`#jobs-table tr[data-job-id="${jobId}"]`);
  await row.waitFor({ timeout });
  await shoot(admin, 'jobs');
  check((await ask('gateway')) === 'gateway up', 'the gateway did not come back');
  await row.locator('button.retry').click();
  await row.waitFor({ state: 'detached', timeout });
  let status = null;
  for (const deadline = Date.now() + timeout; Date.now() < deadline && status !== 'succeeded';) {
    status = (await apiFrom(admin, 'GET', '/admin/registration-automation/jobs/' + jobId)).body.status;
    if (status !== 'succeeded') await admin.waitForTimeout(200);
  }
  check(status === 'succeeded', 'the retried job did not succeed: ' + status);
  log('the dead job, retried from the console, succeeded');

  // rotate a key with the confirmation step and the default grace: the old key works until it is revoked
  await tab(admin, 'mcp');
  const group = admin.locator(`#groups-table tr[data-group="${process.env.GROUP}"]`);
  await group.locator('button.view-key').click();
  const oldKey = (await admin.textContent('#key-value')).trim();
  check(oldKey.startsWith('mcp_key_'), 'no key shown');
  check((await mcpStatus(oldKey)) === 200, 'the old key should work before the rotation');
  await group.locator('button.rotate-key').click();
  await admin.waitForSelector('#rotate-confirm', { timeout });
  const grace = await admin.inputValue('#rotate-grace');
  check(grace === '600', 'the grace defaults to MCP_KEY_GRACE_SECONDS: ' + grace);
  await shoot(admin, 'mcp-rotate-confirm');
  await admin.click('#rotate-yes');
  await admin.waitForFunction((old) => {
    const k = document.getElementById('key-value');
    return k && k.textContent.trim() !== old && k.textContent.trim().startsWith('mcp_key_');
  }, oldKey, { timeout });
  const newKey = (await admin.textContent('#key-value')).trim();
  check((await admin.textContent('#key-note')).includes('仍可使用'), 'the note names the grace');
  check((await mcpStatus(oldKey)) === 200, 'the old key during its grace');
  check((await mcpStatus(newKey)) === 200, 'the new key');
  await group.locator('td.previous-key', { hasText: '有效至' }).waitFor({ timeout });
  await group.scrollIntoViewIfNeeded();
  await shoot(admin, 'mcp-grace');
  admin.once('dialog', (d) => d.accept());
  await group.locator('button.revoke-previous').click();
  await group.locator('button.revoke-previous').waitFor({ state: 'detached', timeout });
  const oldStatus = await mcpStatus(oldKey);
  check(oldStatus === 401, 'the old key after revoke: ' + oldStatus);
  log('key rotated in the console with a grace: old key 200 until revoked, then 401; new key 200');

  // the group's quota, set in its row
  await group.locator('td.quota input[name=rate_per_second]').fill('5');
  await group.locator('td.quota input[name=burst]').fill('10');
  await group.locator('td.quota input[name=max_concurrent]').fill('');
  await group.locator('button.save-quota').click();
  await admin.waitForFunction(async (name) => {
    const { token } = JSON.parse(sessionStorage.getItem('admin.session'));
    const res = await fetch('/api/v1/mcp/groups', { headers: { Authorization: 'Bearer ' + token } });
    const g = (await res.json()).items.find((x) => x.name === name);
    return g.rate_per_second === 5 && g.burst === 10 && g.max_concurrent === null;
  }, process.env.GROUP, { timeout });
  log('quota saved from the console: 5/s, burst 10, no concurrency cap');
  await admin.fill('#tool-test textarea', '{"question": "营业时间"}');
  await admin.selectOption('#tool-test select', { label: 'basic_inquiry（project_tools）' });
  await admin.click('#tool-test button[type=submit]');
  await admin.waitForSelector('#test-result:not(.failed)', { timeout });
  await admin.locator('#calls-table tr', { hasText: '管理员测试' }).first().waitFor({ timeout });
  log('test call ran and is in the call log');
  await shoot(admin, 'mcp');

  // a bad setting: the error next to its field, nothing saved
  await tab(admin, 'settings');
  await admin.waitForSelector('#settings-form', { timeout });
  const before = (await apiFrom(admin, 'GET', '/admin/registration-automation/settings')).body.rollout_percent;
  await admin.fill('#settings-form input[name=rollout_percent]', '150');
  await admin.click('#settings-save');
  const fieldError = admin.locator('#settings-form small[data-field="rollout_percent"]');
  await admin.waitForFunction(() => document.querySelector('#settings-form small[data-field="rollout_percent"]')
    .textContent.trim() !== '', null, { timeout });
  const shown = (await fieldError.textContent()).trim();
  const refused = await apiFrom(admin, 'PUT', '/admin/registration-automation/settings', { rollout_percent: 150 });
  check(refused.status === 400, 'a bad rollout percent must be refused: ' + refused.status);
  const zh = refused.body.error.details_zh && refused.body.error.details_zh.rollout_percent;
  check(shown === (zh || refused.body.error.details.rollout_percent), 'the field shows: ' + shown);
  if (zh) check(/[\u4e00-\u9fff]/.test(shown), 'the field error is not zh-CN: ' + shown);
  const after = (await apiFrom(admin, 'GET', '/admin/registration-automation/settings')).body.rollout_percent;
  check(after === before, 'the bad value was saved: ' + after);
  log('bad setting: the field shows "' + shown + '", nothing saved');
  await admin.fill('#settings-form textarea[name=welcome_template]', '欢迎来到安美智享！预览测试');
  await admin.locator('#template-preview', { hasText: '预览测试' }).waitFor({ timeout });

  // the welcome guard: a phrase added, a sample checked in the preview, saved
  const phrases = await admin.inputValue('#settings-form textarea[name=welcome_guard_phrases]');
  check(phrases.split('\n').includes('保证'), 'the default phrases are listed');
  await admin.fill('#settings-form textarea[name=welcome_guard_phrases]', phrases + '\n特价');
  await admin.fill('#guard-preview textarea', '您好，欢迎来到安美智享！本周水光针特价。我们保证效果。');
  await admin.click('#guard-check');
  await admin.waitForSelector('#guard-preview li.dropped', { timeout });
  const dropped = await admin.$$eval('#guard-preview li.dropped', (ls) => ls.map((l) => l.textContent));
  check(dropped.length === 2 && dropped.some((t) => t.includes('特价')) && dropped.some((t) => t.includes('保证')),
    'the preview drops both sentences: ' + dropped);
  await admin.fill('#settings-form input[name=rollout_percent]', String(before));
  await admin.click('#settings-save');
  await admin.waitForFunction(async () => {
    const { token } = JSON.parse(sessionStorage.getItem('admin.session'));
    const res = await fetch('/api/v1/admin/registration-automation/settings', { headers: { Authorization: 'Bearer ' + token } });
    return (await res.json()).welcome_guard_phrases.includes('特价');
  }, null, { timeout });
  log('welcome guard: a phrase added, the preview drops the sentences, saved');
  await shoot(admin, 'settings');

  // WeCom: off here (no WECOM_* env); the state in words, the secret a password field, the test button's refusal
  await admin.locator('#wecom-state', { hasText: '未开启' }).waitFor({ timeout });
  check(await admin.locator('#wecom-settings input[name=wecom_secret]').getAttribute('type') === 'password',
    'the WeCom secret is not a password field');
  check((await admin.locator('#wecom-settings input[name=wecom_secret]').getAttribute('placeholder')) === '未设置',
    'the secret field does not say it is unset');
  await admin.click('#wecom-test');
  await admin.locator('#wecom-test-result', { hasText: '企业微信账号' }).waitFor({ timeout });
  log('WeCom section: ' + (await admin.locator('#wecom-state').textContent()).trim() + '; test: '
    + (await admin.locator('#wecom-test-result').textContent()).trim());
  await admin.locator('#wecom-settings').scrollIntoViewIfNeeded();
  await shoot(admin, 'wecom');

  // the customer's timeline
  await tab(admin, 'customers');
  await admin.fill('#customer-search input', process.env.CUSTOMER);
  await admin.click('#customer-search button');
  await admin.locator('#customer-results tr', { hasText: process.env.CUSTOMER }).first().click();
  await admin.waitForSelector('#timeline-events li[data-type="welcome"]', { timeout });
  await admin.waitForSelector('#timeline-events li[data-type="mcp_call"]', { timeout });
  const welcomeLine = await admin.locator('.welcome-box p.muted').first().textContent();
  check(welcomeLine.includes('合规检查：通过'), 'the timeline shows the guard\'s verdict: ' + welcomeLine);
  log('timeline opened');
  await shoot(admin, 'customers');

  for (const id of ['dify', 'staff', 'audit']) {
    await tab(admin, id);
    await admin.waitForTimeout(300);
    await shoot(admin, id);
  }

  // ---- every panel at 375 px --------------------------------------------------------------------------------------
  const phone = await open('phone', 375);
  await signIn(phone, process.env.ADMIN, process.env.ADMIN_PASSWORD);
  await phone.waitForSelector('#kpis', { timeout });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, 'the page is wider than the phone: ' + overflow + ' px');
  await shoot(phone, 'dashboard');
  for (const id of ['customers', 'jobs', 'mcp', 'dify', 'settings', 'staff', 'audit']) {
    await tab(phone, id);
    await phone.waitForTimeout(300);
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(wide <= 1, id + ' is wider than the phone: ' + wide + ' px');
    await shoot(phone, id);
  }
  log('every panel fits 375 px');

  // ---- an operator: sees, changes nothing --------------------------------------------------------------------------
  const op = await open('operator', 1280);
  await signIn(op, process.env.OPERATOR, process.env.OPERATOR_PASSWORD);
  await op.waitForSelector('#kpis', { timeout });
  const tabs = await op.$$eval('#tabs a', (as) => as.map((a) => a.dataset.tab));
  check(!tabs.includes('staff') && !tabs.includes('audit'), 'operator tabs: ' + tabs);
  await tab(op, 'mcp');
  await op.waitForSelector('#groups-table tr[data-group]', { timeout });
  for (const sel of ['button.rotate-key', 'button.view-key', 'button.save-tool', 'button.save-quota', '#tool-test',
    '#group-create']) {
    check(!(await op.locator(sel).first().isVisible().catch(() => false)), 'operator sees ' + sel);
  }
  await tab(op, 'settings');
  await op.waitForSelector('#settings-form', { timeout });
  check(!(await op.locator('#settings-save').isVisible()), 'operator sees the save button');
  check(await op.locator('#settings-form input[name=rollout_percent]').isDisabled(), 'operator can edit settings');
  await tab(op, 'dify');
  check(!(await op.locator('#dify-form').isVisible()), 'operator sees the Dify form');
  const groups = (await apiFrom(op, 'GET', '/mcp/groups')).body.items;
  const g = groups.find((x) => x.name === process.env.GROUP);
  for (const [m, p, b] of [['POST', '/mcp/groups/' + g.id + '/regenerate-key', {}], ['GET', '/mcp/groups/' + g.id + '/api-key'],
    ['PUT', '/admin/registration-automation/settings', { rollout_percent: 10 }], ['PUT', '/mcp/groups/' + g.id, { enabled: false }]]) {
    const res = await apiFrom(op, m, p, b);
    check(res.status === 403, `operator ${m} ${p}: ${res.status}`);
  }
  const retry = await apiFrom(op, 'POST', '/admin/registration-automation/jobs/retry', { status: 'dead' });
  check(retry.status === 200, 'operator batch retry: ' + retry.status);
  log('operator: no edit controls, the API refuses changes, retry allowed');
  await tab(op, 'mcp');
  await shoot(op, 'operator-mcp');
  console.log('CONSOLE OK');
} catch (err) {
  console.error('CONSOLE FAILED:', err.message);
  if (shots) {
    for (const [name, page] of Object.entries(pages)) {
      await page.screenshot({ path: `${shots}/failed-${name}.png`, fullPage: true }).catch(() => {});
    }
  }
  process.exitCode = 1;
} finally {
  lines.close();
  await browser.close();
}
