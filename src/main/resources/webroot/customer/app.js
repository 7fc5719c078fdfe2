// The customer page: register (with the services they are interested in and where they heard of us) or log in,
// then the first conversation: the welcome streams in as the assistant writes it, the consultant who takes over is
// named, chat is live; a reply while the tab is in the background raises the count in its title.
'use strict';

(() => {
  const { api, login, bridge, el, time, displayName, SOURCES } = Anmei;
  const $ = (id) => document.getElementById(id);
  const TITLE = '安美智享 · 在线咨询';
  let token = null;
  let conversationId = null;
  let consultant = null;
  let unseen = 0;
  const seen = new Set();
  const picked = new Set();
  /** The form's field names in zh-CN, for the errors the API names per field (details_zh). */
  const FIELDS = { username: '用户名', email: '邮箱', password: '密码', full_name: '称呼', phone: '手机号',
    interests: '感兴趣的项目', source: '来源' };
  /** The sources a customer picks from (the rest of Anmei.SOURCES are other channels' codes). */
  const CHOICES = ['wechat', 'douyin', 'xiaohongshu', 'baidu', 'meituan', 'referral', 'web', 'offline', 'other'];

  // ---- the registration form -----------------------------------------------------------------------------------
  $('source').replaceChildren(el('option', { value: '' }, '请选择（选填）'),
    ...CHOICES.map((c) => el('option', { value: c }, SOURCES[c])));

  /** The interest chips: the clinic's active services (public read of the catalogue). */
  api('GET', '/catalogue/services').then((res) => {
    $('interest-chips').replaceChildren(...res.items.map((s) => el('button', { type: 'button', class: 'chip',
      'aria-pressed': 'false', 'data-name': s.name, onclick: (e) => toggle(e.currentTarget) }, s.name)));
  }, () => {
    $('interest-chips').replaceChildren(el('span', { class: 'muted' }, '项目列表暂时无法加载，可稍后在咨询中告诉我们'));
  });

  function toggle(chip) {
    const name = chip.dataset.name;
    if (picked.has(name)) picked.delete(name);
    else picked.add(name);
    chip.setAttribute('aria-pressed', picked.has(name) ? 'true' : 'false');
  }

  $('register').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('register-error').textContent = '';
    const body = { username: f.username.value.trim(), email: f.email.value.trim(), password: f.password.value,
      interests: [...picked] };
    for (const k of ['full_name', 'phone', 'source']) {
      if (f[k].value.trim()) body[k] = f[k].value.trim();
    }
    try {
      await api('POST', '/auth/register', null, body);
      await enter(body.username, body.password);
    } catch (err) {
      $('register-error').textContent = err.detailsZh && Object.keys(err.detailsZh).length
        ? Object.entries(err.detailsZh).map(([k, v]) => (FIELDS[k] || k) + '：' + v).join('；') : err.message;
    }
  });

  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('login-error').textContent = '';
    try {
      await enter(f.username.value.trim(), f.password.value);
    } catch (err) {
      $('login-error').textContent = err.message;
    }
  });

  // ---- the conversation ----------------------------------------------------------------------------------------
  async function enter(username, password) {
    const res = await login(username, password);
    token = res.access_token;
    $('entry').classList.add('hidden');
    $('app').classList.remove('hidden');
    $('me').textContent = displayName(res.user);
    conversationId = await firstConversation();
    $('conversation-title').textContent = '您的专属咨询';
    $('app').dataset.conversationId = conversationId;
    bridge(token, (eb) => {
      eb.registerHandler('client.conversation.' + conversationId, (err, msg) => {
        if (err) return;
        const body = msg.body;
        if (body.type === 'welcome_chunk') preview(body.delta, body.seq, false);
        else if (body.type === 'welcome_replace') preview(body.text, 0, true);
        else if (body.type === 'message') show(body.message, 'live');
        else if (body.type === 'claimed') consultantJoined(body.consultant);
        else if (body.type === 'closed') ended();
      });
      $('status').dataset.state = 'online';
      $('status').textContent = '在线';
      history(); // anything stored before this socket listened (the welcome may have been written first)
    }, (state) => {
      if (state === 'offline') {
        $('status').dataset.state = 'offline';
        $('status').textContent = '离线';
      }
    });
  }

  // The automation opens the conversation right after registration; it is there within a moment.
  async function firstConversation() {
    for (let i = 0; i < 300; i++) {
      const page = await api('GET', '/conversations?limit=1', token);
      if (page.items.length) {
        const c = page.items[0];
        if (c.consultant) consultantJoined(c.consultant);
        if (c.status === 'closed') ended();
        return c.id;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('会话尚未创建，请稍后刷新');
  }

  async function history() {
    const page = await api('GET', '/conversations/' + conversationId + '/messages?after=0&limit=500', token);
    page.items.forEach((m) => show(m, 'history'));
  }

  function consultantJoined(c) {
    consultant = c;
    const name = displayName(c);
    $('consultant-note').textContent = '顾问 ' + name + ' 已接入，将为您服务';
    $('consultant-note').dataset.consultant = name;
  }

  function ended() {
    $('consultant-note').textContent = '本次咨询已结束，感谢您的信任。如有新的问题，欢迎随时联系我们。';
    $('send-form').classList.add('hidden');
  }

  // The welcome as the assistant writes it: each chunk grows one bubble, which the stored message then replaces.
  // A page that started listening after the first chunks shows "…" where it joined.
  function preview(text, seq, replace) {
    if (document.querySelector('.message[data-kind="welcome"]:not(#welcome-preview)')) return; // already stored
    let node = $('welcome-preview');
    if (!node) {
      node = el('div', { id: 'welcome-preview', class: 'message', 'data-sender-type': 'ai', 'data-kind': 'welcome',
        'data-via': 'stream' }, el('span', { class: 'meta' }, 'AI 助手 · 正在输入…'),
      el('span', { class: 'text' }, seq > 0 ? '…' : ''));
      $('messages').appendChild(node);
    }
    const body = node.querySelector('.text');
    body.textContent = replace ? text : body.textContent + text;
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  function sender(m) {
    if (m.sender_type === 'ai') return 'AI 助手';
    if (m.sender_type === 'customer') return '我';
    if (m.sender_type === 'consultant') return consultant ? '顾问 ' + displayName(consultant) : '顾问';
    return '系统';
  }

  function show(m, via) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    if (m.kind === 'welcome' && $('welcome-preview')) $('welcome-preview').remove();
    const node = el('div', { class: 'message', 'data-sender-type': m.sender_type, 'data-kind': m.kind, 'data-via': via,
      'data-seq': m.seq }, el('span', { class: 'meta' }, sender(m) + ' · ' + time(m.created_at)), m.content);
    // keep the order of the conversation whatever path a message came by
    const after = [...$('messages').children].find((c) => m.seq && c.dataset.seq && Number(c.dataset.seq) > m.seq);
    $('messages').insertBefore(node, after || null);
    $('messages').scrollTop = $('messages').scrollHeight;
    if (via === 'live' && m.sender_type !== 'customer' && document.hidden) {
      unseen++;
      document.title = '(' + unseen + ') ' + TITLE;
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      unseen = 0;
      document.title = TITLE;
    }
  });

  $('send-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = e.target.content.value.trim();
    $('send-error').textContent = '';
    if (!content || !conversationId) return;
    try {
      show(await api('POST', '/conversations/' + conversationId + '/messages', token, { content }), 'sent');
      e.target.content.value = '';
    } catch (err) {
      $('send-error').textContent = err.message;
    }
  });
})();
