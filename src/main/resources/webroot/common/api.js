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
    return iso ? new Date(iso).toLocaleTimeString() : '';
  }

  return { api, login, bridge, el, time, fieldError, displayName, dateTime };
})();
