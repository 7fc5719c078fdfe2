// The consultant workspace: new customers and offers as cards (who, what they want, where from, how long they have
// waited), claim or accept, chat, the inbox with who took each customer. Live over the bridge; everything a page
// missed while away is fetched again when it (re)connects. In a background tab new customers raise a desktop
// notification, a short sound and the unread count in the title.
'use strict';

(() => {
  const { api, login, bridge, el, time, displayName, dateTime, sourceName, waited } = Anmei;
  const $ = (id) => document.getElementById(id);
  const TITLE = '顾问工作台 · 安美智享';
  const ASKED = 'consultant.alerts.asked';
  let token = sessionStorage.getItem('consultant.token');
  let me = JSON.parse(sessionStorage.getItem('consultant.user') || 'null');
  let unread = 0;
  /** conversation id → {customer, kind: 'offer' | 'new', expiresAt, escalated, notificationId, state, by} */
  const waiting = new Map();
  /** the chat open now: its conversation (as GET /conversations/{id} gives it) */
  let chat = null;
  const seenMessages = new Set();

  // ---- sign-in ------------------------------------------------------------------------------------------------
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.target;
    $('login-error').textContent = '';
    sound.unlock(); // a user's gesture: the page may play its alert sound from now on
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
    sessionStorage.removeItem('consultant.token');
    sessionStorage.removeItem('consultant.user');
    location.hash = '';
    location.reload();
  });

  function toast(text, ok) {
    const t = $('toast');
    t.textContent = text;
    t.className = 'toast' + (ok ? ' ok' : '');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => t.classList.add('hidden'), 5000);
  }

  /** The API with this session's token; an expired session goes back to the sign-in. */
  async function call(method, path, body) {
    try {
      return await api(method, path, token, body);
    } catch (err) {
      if (err.status === 401) $('logout').click();
      throw err;
    }
  }

  function setStatus(state) {
    const s = $('status');
    s.dataset.state = state;
    s.textContent = state === 'online' ? '在线' : state === 'connected' ? '连接中' : '离线';
  }

  function start() {
    $('login').classList.add('hidden');
    $('app').classList.remove('hidden');
    $('me').textContent = displayName(me);
    bridge(token, (bus) => {
      bus.registerHandler('client.consultant.' + me.id, (err, msg) => !err && onPersonal(msg.body));
      bus.registerHandler('client.consultants', (err, msg) => !err && onBroadcast(msg.body));
      refresh(); // whatever happened while this page was not connected (first open, network drop, laptop woke)
    }, setStatus);
    alerts.offer();
    setInterval(tick, 1000);
    const m = location.hash.match(/conversation=([0-9a-f-]{36})/);
    if (m) openChat(m[1]);
  }

  // ---- what the page missed: fetched at every (re)connect -------------------------------------------------------
  async function refresh() {
    try {
      const [open, missed] = await Promise.all([call('GET', '/conversations?status=open&limit=100'),
        call('GET', '/notifications?unread=true&unclaimed=true&limit=100')]);
      waiting.clear();
      for (const c of open.items) {
        const a = c.assignment;
        if (a && a.state === 'offering' && a.offered_to !== me.id) continue; // offered to someone else right now
        waiting.set(c.id, { customer: c.customer, kind: a && a.state === 'offering' ? 'offer' : 'new',
          expiresAt: a && a.expires_at, state: 'open' });
      }
      for (const n of missed.items) {
        const w = waiting.get(n.conversation_id);
        if (w && n.kind === 'offer') {
          w.notificationId = n.id;
        } else if (w && n.kind === 'escalation') {
          w.escalated = true;
        }
        // the page shows these now: acknowledged, so the ladder sends no push for them
        if (w && !n.delivered_at) acknowledge(n.id, 0);
      }
      renderWaiting();
      await Promise.all([refreshMine(), refreshInbox()]);
    } catch (err) {
      toast('刷新失败：' + err.message);
    }
  }

  async function refreshMine() {
    const page = await call('GET', '/conversations?limit=100');
    const mine = page.items.filter((c) => c.consultant && c.consultant.id === me.id);
    $('mine').replaceChildren(...mine.map((c) => el('li', { 'data-conversation-id': c.id, 'data-status': c.status },
      el('span', { class: 'grow' }, el('b', {}, displayName(c.customer)),
        el('span', { class: 'when' }, (c.status === 'closed' ? '已结束 · ' : '进行中 · ') + '认领于 '
          + dateTime(c.claimed_at))),
      el('button', { type: 'button', onclick: () => openChat(c.id) }, '打开'))));
    $('mine-empty').classList.toggle('hidden', mine.length > 0);
  }

  // Live copies whose inbox row the last read of the inbox did not list yet (the live copy overtakes its row): they
  // count in the title at once, so a background tab's title says (n) when its notification shows.
  const fresh = new Map(); // notification id → when it arrived
  let listed = new Set();

  function countFresh(id) {
    if (!id || listed.has(id) || fresh.has(id)) return;
    fresh.set(id, Date.now());
    unread += 1;
  }

  async function refreshInbox() {
    const inbox = await call('GET', '/notifications?unread=true&limit=50');
    listed = new Set(inbox.items.map((n) => n.id));
    const now = Date.now();
    // listed now, or long enough ago that its row is surely written (and was read or settled meanwhile)
    for (const [id, at] of fresh) if (listed.has(id) || now - at > 15_000) fresh.delete(id);
    unread = inbox.unread + fresh.size;
    $('inbox').replaceChildren(...inbox.items.map(inboxItem));
    $('inbox-empty').classList.toggle('hidden', inbox.items.length > 0);
    title();
  }

  function inboxItem(n) {
    const c = n.body.customer;
    const li = el('li', { 'data-notification-id': n.id, 'data-conversation-id': n.conversation_id || '',
      'data-kind': n.kind },
      el('span', { class: 'grow' }, el('b', {}, n.title), '：', c ? '客户「' + displayName(c) + '」' : (n.body.message || ''),
        el('span', { class: 'when state' }, '')),
      el('button', { type: 'button', class: 'quiet read', onclick: () => markRead([n.id]) }, '已读'));
    inboxState(li, n.claimed_by, n.kind, n.created_at);
    return li;
  }

  /** What an inbox entry says now: who took the customer (the entry must not keep saying "waiting"). */
  function inboxState(li, by, kind, at) {
    li.dataset.claimed = by ? 'true' : 'false';
    const state = by ? (by.id === me.id ? '已由我认领' : '已由 ' + by.display_name + ' 认领')
      : kind === 'offer' ? '分配给您' : kind === 'admin_alert' ? '' : '等待认领';
    li.querySelector('.state').textContent = (state ? state + ' · ' : '') + (at ? dateTime(at) : '');
  }

  async function markRead(ids) {
    try {
      await Promise.all(ids.map((id) => call('POST', '/notifications/' + id + '/read')));
      await refreshInbox();
    } catch (err) {
      toast(err.message);
    }
  }

  /** The inbox entries of one customer, read: the consultant is looking at them now. */
  function readConversation(conversationId) {
    const ids = [...document.querySelectorAll('#inbox li[data-conversation-id="' + conversationId + '"]')]
      .map((li) => li.dataset.notificationId);
    if (ids.length) markRead(ids);
  }

  // ---- live events ----------------------------------------------------------------------------------------------
  function onPersonal(body) {
    switch (body.type) {
      case 'presence':
        setStatus('online');
        break;
      case 'new_customer': {
        const w = waiting.get(body.conversation_id) || { kind: 'new', state: 'open' };
        waiting.set(body.conversation_id, { ...w, customer: body.customer, escalated: w.escalated || body.escalated });
        renderWaiting();
        countFresh(body.notification_id);
        if (body.notification_id) acknowledge(body.notification_id, 0);
        alerts.raise(body.title, body.message, body.conversation_id);
        break;
      }
      case 'offer':
        waiting.set(body.conversation_id, { customer: body.customer, kind: 'offer', expiresAt: body.expires_at,
          notificationId: body.notification_id, state: 'open' });
        renderWaiting();
        countFresh(body.notification_id);
        if (body.notification_id) acknowledge(body.notification_id, 0);
        alerts.raise(body.title, body.message, body.conversation_id);
        break;
      case 'offer_ended':
        if (waiting.get(body.conversation_id)?.kind === 'offer') waiting.delete(body.conversation_id);
        renderWaiting();
        refreshInbox().catch(() => {});
        break;
      case 'message':
        if (chat && chat.id === body.message.conversation_id) appendMessage(body.message);
        if (body.message.sender_type === 'customer' && (document.hidden || !chat || chat.id !== body.message.conversation_id)) {
          alerts.raise('客户新消息', body.message.content.slice(0, 60), body.message.conversation_id);
        }
        break;
      case 'closed':
        refreshMine().catch(() => {});
        if (chat && chat.id === body.conversation_id) openChat(chat.id);
        break;
      default:
    }
  }

  function onBroadcast(body) {
    if (body.type !== 'claimed') return;
    const w = waiting.get(body.conversation_id);
    if (w && body.consultant.id === me.id) {
      waiting.delete(body.conversation_id); // mine now: it is in 我的会话 (another tab of mine may have claimed it)
      renderWaiting();
      refreshMine().catch(() => {});
    } else if (w) {
      w.state = 'claimed'; // stays greyed, naming who took the customer, until the next refresh
      w.by = body.consultant;
      renderWaiting();
    }
    document.querySelectorAll('#inbox li[data-conversation-id="' + body.conversation_id + '"]')
      .forEach((li) => inboxState(li, body.consultant, li.dataset.kind, null));
    if (chat && chat.id === body.conversation_id) {
      if (body.consultant.id === me.id) {
        openChat(chat.id);
      } else {
        // someone else took the customer: this page may no longer read the conversation
        $('chat-claim').classList.add('hidden');
        $('send-form').classList.add('hidden');
        $('chat-note').textContent = '该客户已由 ' + body.consultant.display_name + ' 接待。';
      }
    }
  }

  // The delivery acknowledgement: how the server knows the page showed it (no push then), and how arrival is
  // measured. The live copy can overtake the inbox row it refers to, so a 404 is retried (0.25 s … 8 s).
  function acknowledge(id, attempt) {
    api('POST', '/notifications/' + id + '/delivered', token).then(() => refreshInbox(), (err) => {
      if (err.status === 404 && attempt < 6) setTimeout(() => acknowledge(id, attempt + 1), 250 * 2 ** attempt);
    }).catch(() => {});
  }

  // ---- the waiting cards ---------------------------------------------------------------------------------------
  function renderWaiting() {
    const entries = [...waiting.entries()].sort(([, a], [, b]) => order(a) - order(b)
      || new Date(a.customer.registered_at) - new Date(b.customer.registered_at));
    $('waiting').replaceChildren(...entries.map(([id, w]) => card(id, w)));
    const open = entries.filter(([, w]) => w.state === 'open').length;
    $('waiting-count').textContent = open;
    $('waiting-count').toggleAttribute('data-zero', open === 0);
    $('waiting-empty').classList.toggle('hidden', entries.length > 0);
    tick();
  }

  function order(w) {
    return w.state !== 'open' ? 3 : w.kind === 'offer' ? 0 : w.escalated ? 1 : 2;
  }

  function card(id, w) {
    const c = w.customer;
    const interests = (c.interests || []).length ? el('span', { class: 'chips' },
      ...c.interests.map((i) => el('span', { class: 'chip' }, i))) : el('span', { class: 'muted' }, '未填写意向');
    const buttons = w.state !== 'open' ? [] : w.kind === 'offer'
      ? [el('button', { type: 'button', class: 'accept', onclick: () => accept(id) }, '接受'),
        el('button', { type: 'button', class: 'quiet view', onclick: () => openChat(id) }, '查看')]
      : [el('button', { type: 'button', class: 'claim', onclick: () => claim(id) }, '认领'),
        el('button', { type: 'button', class: 'quiet view', onclick: () => openChat(id) }, '查看')];
    const state = w.state === 'claimed' ? (w.by && w.by.id === me.id ? '已由我认领'
      : '已由 ' + (w.by ? w.by.display_name : '其他顾问') + ' 认领')
      : w.kind === 'offer' ? '系统分配给您，请在倒计时结束前接受' : w.escalated ? '等待已超时，请尽快认领' : '等待认领';
    return el('li', { class: 'card', 'data-conversation-id': id, 'data-kind': w.kind, 'data-state': w.state,
      'data-escalated': w.escalated ? 'true' : 'false', 'data-expires-at': w.expiresAt || '' },
    el('div', { class: 'top' }, el('span', { class: 'name' }, displayName(c)),
      w.kind === 'offer' && w.state === 'open' ? el('span', { class: 'tag' }, '分配给您') : null,
      w.state === 'open' ? el('span', { class: 'waited', 'data-since': c.registered_at }, '') : null),
    el('div', { class: 'facts' }, el('span', { class: 'source' }, '来源：' + sourceName(c.source)),
      el('span', { class: 'phone' }, '手机：' + (c.phone_masked || '未填写'))),
    interests,
    el('div', { class: 'state' }, state),
    buttons.length ? el('div', { class: 'buttons' }, ...buttons) : null);
  }

  /** Every second: how long each customer has waited, and each offer's countdown. */
  function tick() {
    const now = Date.now();
    document.querySelectorAll('#waiting .waited').forEach((s) => { s.textContent = '已等待 ' + waited(s.dataset.since, now); });
    document.querySelectorAll('#waiting .card[data-kind="offer"][data-state="open"]').forEach((li) => {
      const left = Math.ceil((new Date(li.dataset.expiresAt).getTime() - now) / 1000);
      const button = li.querySelector('button.accept');
      if (!button) return;
      if (left > 0) {
        button.textContent = '接受（' + left + ' 秒）';
      } else {
        button.textContent = '已超时';
        button.disabled = true;
      }
    });
  }

  async function claim(id) {
    try {
      await call('POST', '/conversations/' + id + '/claim');
      taken(id);
    } catch (err) {
      if (err.status === 409 && err.details && err.details.consultant) {
        const w = waiting.get(id);
        if (w) Object.assign(w, { state: 'claimed', by: err.details.consultant });
        renderWaiting();
      }
      toast(err.message);
    }
  }

  async function accept(id) {
    try {
      await call('POST', '/conversations/' + id + '/accept');
      taken(id);
    } catch (err) {
      toast(err.message);
      refresh();
    }
  }

  function taken(id) {
    waiting.delete(id); // it moves to 我的会话
    renderWaiting();
    readConversation(id);
    refreshMine().catch(() => {});
    openChat(id);
  }

  // ---- the chat -------------------------------------------------------------------------------------------------
  async function openChat(id) {
    try {
      const c = await call('GET', '/conversations/' + id);
      chat = c;
      if (!chat.customer) return;
      seenMessages.clear();
      const mineNow = c.consultant && c.consultant.id === me.id;
      $('chat').classList.remove('hidden');
      document.body.classList.add('chat-open');
      $('chat').dataset.conversationId = id;
      $('chat-title').textContent = displayName(c.customer);
      $('chat-info').textContent = [c.customer.phone || c.customer.phone_masked ? '手机 ' + (c.customer.phone
        || c.customer.phone_masked) : '', '来源 ' + sourceName(c.customer.source),
      (c.customer.interests || []).join('、')].filter(Boolean).join(' · ');
      $('chat-claim').classList.toggle('hidden', c.status !== 'open');
      $('chat-close').classList.toggle('hidden', !(mineNow && c.status === 'claimed'));
      const canWrite = mineNow && c.status === 'claimed';
      $('send-form').classList.toggle('hidden', !canWrite);
      $('chat-note').textContent = c.status === 'closed' ? '会话已结束。' : c.status === 'open' ? '认领后即可回复客户。'
        : mineNow ? '' : '该客户已由 ' + c.consultant.display_name + ' 接待。';
      $('messages').replaceChildren();
      const page = await call('GET', '/conversations/' + id + '/messages?after=0&limit=500');
      page.items.forEach(appendMessage);
      readConversation(id);
      if (location.hash !== '#conversation=' + id) history.replaceState(null, '', '#conversation=' + id);
    } catch (err) {
      toast(err.message);
    }
  }

  /** Who wrote it, as people are named: the AI assistant, the consultant's name, the customer's name. */
  function sender(m) {
    if (m.sender_type === 'ai') return 'AI 助手';
    if (m.sender_type === 'customer') return displayName(chat.customer);
    if (m.sender_type === 'consultant') return m.sender_id === me.id ? displayName(me) + '（我）'
      : chat.consultant ? chat.consultant.display_name : '顾问';
    return '系统';
  }

  function appendMessage(m) {
    if (seenMessages.has(m.id)) return;
    seenMessages.add(m.id);
    $('messages').append(el('div', { class: 'message', 'data-sender-type': m.sender_type, 'data-kind': m.kind,
      'data-mine': m.sender_id === me.id ? 'true' : 'false' },
    el('span', { class: 'meta' }, sender(m) + ' · ' + time(m.created_at)), m.content));
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  $('chat-back').addEventListener('click', () => {
    chat = null;
    $('chat').classList.add('hidden');
    document.body.classList.remove('chat-open');
    history.replaceState(null, '', location.pathname);
  });
  $('chat-claim').addEventListener('click', () => {
    const w = waiting.get(chat.id);
    if (w && w.kind === 'offer') accept(chat.id);
    else claim(chat.id);
  });
  $('chat-close').addEventListener('click', async () => {
    if (!confirm('确定结束与「' + displayName(chat.customer) + '」的会话吗？')) return;
    try {
      await call('POST', '/conversations/' + chat.id + '/close');
      toast('会话已结束', true);
      await refreshMine();
      openChat(chat.id);
    } catch (err) {
      toast(err.message);
    }
  });

  $('send-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const content = e.target.content.value.trim();
    if (!content || !chat) return;
    try {
      appendMessage(await call('POST', '/conversations/' + chat.id + '/messages', { content }));
      e.target.content.value = '';
    } catch (err) {
      toast(err.message);
    }
  });

  // ---- alerts: title count, sound, desktop notification -----------------------------------------------------------
  function title() {
    $('unread-count').textContent = unread;
    $('unread-count').toggleAttribute('data-zero', unread === 0);
    document.title = unread > 0 ? '(' + unread + ') ' + TITLE : TITLE;
  }

  /** A short two-tone chime (Web Audio: no file to load), once the page has had a user gesture. */
  const sound = {
    ctx: null,
    unlock() {
      if (!this.ctx && window.AudioContext) this.ctx = new AudioContext();
      if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume();
    },
    play() {
      if (!this.ctx) return;
      const t = this.ctx.currentTime;
      [[880, 0], [1175, 0.16]].forEach(([hz, at]) => {
        const osc = this.ctx.createOscillator();
        const gain = this.ctx.createGain();
        osc.frequency.value = hz;
        gain.gain.setValueAtTime(0.0001, t + at);
        gain.gain.exponentialRampToValueAtTime(0.25, t + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + at + 0.15);
        osc.connect(gain).connect(this.ctx.destination);
        osc.start(t + at);
        osc.stop(t + at + 0.16);
      });
    },
  };
  document.addEventListener('pointerdown', () => sound.unlock(), { once: true });

  const alerts = {
    /** The reason is asked for once (a banner with a clear reason), never by surprise. */
    offer() {
      const asked = localStorage.getItem(ASKED);
      const need = ('Notification' in window && Notification.permission === 'default');
      $('alert-banner').classList.toggle('hidden', !need || asked === 'later');
      $('alerts-on').onclick = async () => {
        localStorage.setItem(ASKED, 'yes');
        sound.unlock();
        const granted = (await Notification.requestPermission()) === 'granted';
        $('alert-banner').classList.add('hidden');
        if (granted) {
          toast('提醒已开启', true);
          subscribePush();
        } else {
          toast('浏览器未允许桌面提醒，可在地址栏左侧的网站设置中开启');
        }
      };
      $('alerts-later').onclick = () => {
        localStorage.setItem(ASKED, 'later');
        $('alert-banner').classList.add('hidden');
      };
      if ('Notification' in window && Notification.permission === 'granted') subscribePush();
    },
    /** A new customer, an offer or a customer's message: sound; in a background tab also the desktop notification. */
    raise(heading, text, conversationId) {
      sound.play();
      title();
      if (!(document.hidden || !document.hasFocus())) return;
      if (!('Notification' in window) || Notification.permission !== 'granted') return;
      const n = new Notification(heading, { body: text, tag: conversationId, renotify: true, requireInteraction: true });
      n.onclick = () => {
        window.focus();
        n.close();
        openChat(conversationId);
      };
    },
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refreshInbox().catch(() => {});
  });

  // Web Push for when no page is open (or the laptop sleeps): a service worker shows what the server pushes.
  async function subscribePush() {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) return;
    try {
      const reg = await navigator.serviceWorker.register('/consultant/sw.js', { scope: '/consultant/' });
      const existing = await reg.pushManager.getSubscription();
      const { public_key: key } = await call('GET', '/push/vapid-public-key');
      const sub = existing || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      await call('POST', '/push/subscriptions', sub.toJSON());
    } catch (err) {
      console.warn('Web Push not available here', err);
    }
  }

  if (token && me) start();
})();
