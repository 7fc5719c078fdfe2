// The customer page: register or log in, then the first conversation, where the welcome and chat arrive live.
'use strict';

(() => {
  const { api, login, bridge, el, time } = Anmei;
  const $ = (id) => document.getElementById(id);
  let token = null;
  let conversationId = null;
  const seen = new Set();
  /** The form's field names in zh-CN, for the errors the API names per field (details_zh). */
  const FIELDS = { username: '用户名', email: '邮箱', password: '密码', source: '来源' };

  $('register').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('register-error').textContent = '';
    try {
      await api('POST', '/auth/register', null, {
        username: f.username.value.trim(), email: f.email.value.trim(), password: f.password.value, source: 'web',
      });
      await enter(f.username.value.trim(), f.password.value);
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

  async function enter(username, password) {
    const res = await login(username, password);
    token = res.access_token;
    $('entry').classList.add('hidden');
    $('app').classList.remove('hidden');
    $('me').textContent = res.user.username;
    conversationId = await firstConversation();
    $('conversation-title').textContent = '您的专属咨询';
    $('app').dataset.conversationId = conversationId;
    bridge(token, (eb) => {
      eb.registerHandler('client.conversation.' + conversationId, (err, msg) => {
        if (err) return;
        const body = msg.body;
        if (body.type === 'welcome_chunk') preview(body.delta, false);
        else if (body.type === 'welcome_replace') preview(body.text, true);
        else if (body.type === 'message') show(body.message, 'live');
        else if (body.type === 'claimed') consultantJoined(body.consultant);
      });
      $('status').dataset.state = 'online';
      $('status').textContent = '在线';
      history(); // anything stored before this socket listened (the welcome is often written first)
    }, (state) => {
      if (state === 'offline') {
        $('status').dataset.state = 'offline';
        $('status').textContent = '离线';
      }
    });
  }

  // The automation opens the conversation right after registration; wait for it (a few seconds at most).
  async function firstConversation() {
    for (let i = 0; i < 120; i++) {
      const page = await api('GET', '/conversations?limit=1', token);
      if (page.items.length) {
        const c = page.items[0];
        if (c.consultant) consultantJoined(c.consultant);
        return c.id;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('会话尚未创建，请稍后刷新');
  }

  async function history() {
    const page = await api('GET', '/conversations/' + conversationId + '/messages?after=0&limit=500', token);
    page.items.forEach((m) => show(m, 'history'));
  }

  function consultantJoined(consultant) {
    $('consultant-note').textContent = '顾问 ' + consultant.username + ' 已接入，将为您服务';
    $('consultant-note').dataset.consultant = consultant.username;
  }

  // The welcome as the agent writes it: chunks grow one bubble, which the stored message then replaces.
  function preview(text, replace) {
    if (document.querySelector('.message[data-kind="welcome"]:not(#welcome-preview)')) return; // already stored
    let node = $('welcome-preview');
    if (!node) {
      node = el('div', { id: 'welcome-preview', class: 'message', 'data-sender-type': 'ai', 'data-kind': 'welcome',
        'data-via': 'stream' }, el('span', { class: 'meta' }, 'AI 助手 · 正在输入…'), el('span', { class: 'text' }, ''));
      $('messages').appendChild(node);
    }
    const body = node.querySelector('.text');
    body.textContent = replace ? text : body.textContent + text;
  }

  function show(m, via) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    if (m.kind === 'welcome' && $('welcome-preview')) $('welcome-preview').remove();
    const who = { ai: 'AI 助手', customer: '我', consultant: '顾问', system: '系统' }[m.sender_type] || m.sender_type;
    const node = el('div', { class: 'message', 'data-sender-type': m.sender_type, 'data-kind': m.kind, 'data-via': via,
      'data-seq': m.seq }, el('span', { class: 'meta' }, who + ' · ' + time(m.created_at)), m.content);
    // keep the order of the conversation whatever path a message came by
    const after = [...$('messages').children].find((c) => m.seq && c.dataset.seq && Number(c.dataset.seq) > m.seq);
    $('messages').insertBefore(node, after || null);
  }

  $('send-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = e.target.content.value.trim();
    if (!content || !conversationId) return;
    try {
      show(await api('POST', '/conversations/' + conversationId + '/messages', token, { content }), 'sent');
      e.target.content.value = '';
    } catch (err) {
      alert(err.message);
    }
  });
})();
