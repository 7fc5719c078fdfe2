// Shared by the pages: the REST API with the bearer token, and the event-bus bridge with the token on every frame.
'use strict';

const Anmei = (() => {
  const API = '/api/v1';

  async function api(method, path, token, body) {
    const headers = {};
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (!res.ok) {
      // message_zh is for people (the pages are zh-CN); message is the English one for developers
      const e = (json && json.error) || {};
      const err = new Error(e.message_zh || e.message || res.statusText);
      err.status = res.status;
      err.code = e.code;
      err.details = e.details || {};
      err.detailsZh = e.details_zh || e.details || {};
      throw err;
    }
    return json;
  }

  /** The text to show next to a form field for a 400 validation error: the zh-CN one when the API gave it. */
  function fieldError(err, field) {
    if (!err || !err.details) return '';
    return (err.detailsZh && err.detailsZh[field]) || err.details[field] || '';
  }

  /** How a person is named on every page: their display name, else full name, else username (never an id). */
  function displayName(user) {
    if (!user) return '';
    return user.display_name || user.full_name || user.username || '';
  }

  /** Where customers came from: the registration form's choices and how every page names them. */
  const SOURCES = {
    wechat: '微信', douyin: '抖音', xiaohongshu: '小红书', baidu: '百度搜索', meituan: '美团/大众点评', web: '官网',
    website: '官网', app: 'App', referral: '朋友推荐', weibo: '微博', offline: '到店/线下活动', other: '其他',
  };

  function sourceName(code) {
    return code ? SOURCES[String(code).toLowerCase()] || code : '未知';
  }

  /** How long since {@code iso}, as a live counter reads: 45 秒, 3 分 05 秒, 1 小时 02 分. */
  function waited(iso, now) {
    const s = Math.max(0, Math.floor(((now || Date.now()) - new Date(iso).getTime()) / 1000));
    const pad = (n) => String(n).padStart(2, '0');
    if (s < 60) return s + ' 秒';
    if (s < 3600) return Math.floor(s / 60) + ' 分 ' + pad(s % 60) + ' 秒';
    if (s < 86400) return Math.floor(s / 3600) + ' 小时 ' + pad(Math.floor((s % 3600) / 60)) + ' 分';
    return Math.floor(s / 86400) + ' 天';
  }

  /** A date and time as the clinic reads it (zh-CN, 24 h). */
  function dateTime(iso) {
    return iso ? new Date(iso).toLocaleString('zh-CN', { hour12: false }) : '';
  }

  async function login(usernameOrEmail, password) {
    return api('POST', '/auth/login', null, { username_or_email: usernameOrEmail, password });
  }

  /**
   * Opens the bridge (SockJS + @vertx/eventbus-bridge-client.js from npm). Every register frame carries the JWT in
   * its headers: the server checks it per frame. onOpen runs after every (re)connect, so handlers are registered
   * again after a reconnect.
   */
  function bridge(token, onOpen, onState) {
    const eb = new EventBus('/eventbus');
    eb.defaultHeaders = { Authorization: 'Bearer ' + token };
    eb.enableReconnect(true);
    eb.onopen = () => { onState && onState('connected'); onOpen(eb); };
    eb.onreconnect = () => { onState && onState('connected'); };
    eb.onclose = () => { onState && onState('offline'); };
    eb.onerror = (err) => { console.warn('bridge error', err); };
    return eb;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c !== undefined && c !== null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleTimeString('zh-CN', { hour12: false }) : '';
  }

  return { api, login, bridge, el, time, fieldError, displayName, dateTime, SOURCES, sourceName, waited };
})();
