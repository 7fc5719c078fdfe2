// The consultant page: live new-customer notifications over the bridge, the unread inbox, claim, chat.
'use strict';

(() => {
  const { api, login, bridge, el, time } = Anmei;
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem('consultant.token');
  let me = JSON.parse(sessionStorage.getItem('consultant.user') || 'null');
  let eb = null;
  let openConversation = null;
  const seenMessages = new Set();

  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('login-error').textContent = '';
    try {
      const res = await login(f.username.value.trim(), f.password.value);
      if (res.user.role !== 'consultant') throw new Error('该账号不是顾问账号');
      token = res.access_token;
      me = res.user;
      sessionStorage.setItem('consultant.token', token);
      sessionStorage.setItem('consultant.user', JSON.stringify(me));
      start();
    } catch (err) {
      $('login-error').textContent = err.message;
    }
  });

  $('logout').addEventListener('click', () => {
    sessionStorage.clear();
    location.reload();
  });

  function setStatus(state) {
    const s = $('status');
    s.dataset.state = state;
    s.textContent = state === 'online' ? '在线' : state === 'connected' ? '连接中' : '离线';
  }

  function start() {
    $('login').classList.add('hidden');
    $('app').classList.remove('hidden');
    $('me').textContent = me.full_name || me.username;
    eb = bridge(token, (bus) => {
      bus.registerHandler('client.consultant.' + me.id, (err, msg) => !err && onPersonal(msg.body));
      bus.registerHandler('client.consultants', (err, msg) => !err && onBroadcast(msg.body));
      refresh(); // whatever happened while this page was not connected
    }, setStatus);
    setupPush();
    const m = location.hash.match(/conversation=([0-9a-f-]{36})/);
    if (m) openChat(m[1]);
  }

  async function refresh() {
    try {
      const open = await api('GET', '/conversations?status=open&limit=100', token);
      for (const c of open.items) upsertNew(c.id, c.customer, c.created_at);
      const mine = await api('GET', '/conversations?status=claimed&limit=100', token);
      $('mine').replaceChildren(...mine.items.filter((c) => c.consultant && c.consultant.id === me.id).map(mineItem));
      await refreshInbox();
    } catch (err) {
      console.warn('refresh failed', err);
    }
  }

  async function refreshInbox() {
    const inbox = await api('GET', '/notifications?unread=true&limit=50', token);
    $('unread-count').textContent = inbox.unread;
    $('inbox').replaceChildren(...inbox.items.map((n) => el('li', { class: 'item', 'data-notification-id': n.id },
      el('span', { class: 'grow' }, n.title + '：' + (n.body.message || '')),
      el('button', { type: 'button', class: 'read', onclick: () => markRead(n.id) }, '已读'))));
  }

  async function markRead(id) {
    await api('POST', '/notifications/' + id + '/read', token);
    await refreshInbox();
  }

  function onPersonal(body) {
    if (body.type === 'presence') {
      setStatus('online');
    } else if (body.type === 'new_customer') {
      upsertNew(body.conversation_id, body.customer, body.timestamp, body);
      if (body.notification_id) acknowledge(body.notification_id, 0);
      else refreshInbox().catch(() => {});
    } else if (body.type === 'message') {
      if (openConversation === body.message.conversation_id) appendMessage(body.message);
    }
  }

  // The delivery acknowledgement: how the server measures that notifications arrive. The live copy can overtake the
  // inbox row it refers to (it is sent first), so a 404 is retried with backoff (0.25 s … 8 s, about 16 s in all).
  // Once acknowledged, the row exists: the inbox is read then, so it shows the new entry.
  function acknowledge(id, attempt) {
    api('POST', '/notifications/' + id + '/delivered', token).then(() => refreshInbox(), (err) => {
      if (err.status === 404 && attempt < 6) setTimeout(() => acknowledge(id, attempt + 1), 250 * 2 ** attempt);
    }).catch(() => {});
  }

  function onBroadcast(body) {
    if (body.type === 'claimed') markClaimed(body.conversation_id, body.consultant);
  }

  function upsertNew(conversationId, customer, at, notification) {
    let li = document.querySelector('#new-customers li[data-conversation-id="' + conversationId + '"]');
    if (!li) {
      li = el('li', { class: 'item', 'data-conversation-id': conversationId, 'data-state': 'open' },
        el('span', { class: 'grow' },
          el('strong', { class: 'customer' }, customer ? customer.username : '新客户'), ' · ', time(at),
          el('span', { class: 'note' })),
        el('span', { class: 'state' }, '待认领'),
        el('button', { type: 'button', class: 'claim', onclick: () => claim(conversationId) }, '认领'),
        el('button', { type: 'button', class: 'view', onclick: () => openChat(conversationId) }, '查看'));
      $('new-customers').prepend(li);
    }
    if (notification && notification.escalated) li.querySelector('.note').textContent = ' · 等待超时';
    $('new-count').textContent = document.querySelectorAll('#new-customers li[data-state="open"]').length;
  }

  function markClaimed(conversationId, consultant) {
    const li = document.querySelector('#new-customers li[data-conversation-id="' + conversationId + '"]');
    if (!li) return;
    const mine = consultant && consultant.id === me.id;
    li.dataset.state = 'claimed';
    li.querySelector('.state').textContent = mine ? '已由我认领' : '已被 ' + consultant.username + ' 认领';
    li.querySelector('.claim').disabled = true;
    $('new-count').textContent = document.querySelectorAll('#new-customers li[data-state="open"]').length;
  }

  async function claim(conversationId) {
    try {
      const c = await api('POST', '/conversations/' + conversationId + '/claim', token);
      markClaimed(conversationId, { id: me.id, username: me.username });
      $('mine').prepend(mineItem(c));
      openChat(conversationId);
    } catch (err) {
      if (err.status === 409) markClaimed(conversationId, err.details.consultant || { username: '其他顾问' });
      else alert(err.message);
    }
  }

  function mineItem(c) {
    return el('li', { class: 'item', 'data-conversation-id': c.id },
      el('span', { class: 'grow' }, c.customer.username),
      el('button', { type: 'button', onclick: () => openChat(c.id) }, '打开'));
  }

  async function openChat(conversationId) {
    openConversation = conversationId;
    seenMessages.clear();
    $('chat').classList.remove('hidden');
    $('chat').dataset.conversationId = conversationId;
    $('messages').replaceChildren();
    const page = await api('GET', '/conversations/' + conversationId + '/messages?after=0&limit=500', token);
    $('chat-title').textContent = '会话 ' + conversationId.slice(0, 8);
    page.items.forEach(appendMessage);
  }

  function appendMessage(m) {
    if (seenMessages.has(m.id)) return;
    seenMessages.add(m.id);
    $('messages').append(el('div', { class: 'message', 'data-sender-type': m.sender_type, 'data-kind': m.kind },
      el('span', { class: 'meta' }, m.sender_type + ' · ' + time(m.created_at)), m.content));
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  $('send-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = e.target.content.value.trim();
    if (!content || !openConversation) return;
    try {
      appendMessage(await api('POST', '/conversations/' + openConversation + '/messages', token, { content }));
      e.target.content.value = '';
    } catch (err) {
      alert(err.message);
    }
  });

  // Web Push for when this page is closed: a service worker shows what the server pushes.
  async function setupPush() {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) return;
    const button = $('push');
    button.classList.remove('hidden');
    button.addEventListener('click', async () => {
      try {
        const { public_key } = await api('GET', '/push/vapid-public-key', token);
        const reg = await navigator.serviceWorker.register('/consultant/sw.js', { scope: '/consultant/' });
        const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: public_key });
        await api('POST', '/push/subscriptions', token, sub.toJSON());
        button.textContent = '推送已开启';
        button.disabled = true;
      } catch (err) {
        alert('无法开启推送：' + err.message);
      }
    });
  }

  if (token && me) start();
})();
