// The operations console (/admin/): Alpine.js components over the REST API, live alerts and counters over the
// bridge on client.admins, charts with Apache ECharts. One login and API helper shared with the other pages
// (common/api.js). Operators see every panel an admin sees except staff and audit, without edit controls; the API
// refuses their changes anyway.
'use strict';

(() => {
  const { api, login, bridge, fieldError, displayName, dateTime } = Anmei;
  const KEY = 'admin.session';

  // ---- words the clinic reads ------------------------------------------------------------------------------
  const ROLES = { admin: '管理员', operator: '运营', consultant: '顾问', doctor: '医生', customer: '客户' };
  const STEPS = {
    conversation_created: '创建会话', welcome_generated: '生成欢迎语', welcome_sent: '发送欢迎语',
    consultants_notified: '通知顾问',
  };
  const JOB_STATUS = {
    pending: '排队中', running: '进行中', failed: '等待重试', dead: '已放弃', succeeded: '已完成', skipped: '未启用',
  };
  const SOURCES = { dify: 'Dify 智能体', 'local-agent': '内置智能体', fallback: '默认模板' };
  const REASONS = {
    first_text_deadline: '首段文字超时', completion_deadline: '完整回答超时', breaker_open: '熔断中',
    connect_error: '无法连接', agent_disabled: '已关闭智能体', no_terminal_event: '回答中断',
    stream_stalled: '回答停滞', bad_response: '回答无效', guard: '未通过合规检查', unknown: '未知',
  };
  const GUARD_RESULTS = { passed: '通过', trimmed: '已删去违规句子', replaced: '已改用默认模板', disabled: '未检查（已关闭）' };
  const GUARD_RULES = {
    'phrase.guaranteed_effect': '保证效果', 'phrase.superlative': '绝对化用语', 'phrase.safety_claim': '安全性或疗效断言',
    'phrase.before_after': '前后对比', 'phrase.urgency': '催促下单', 'phrase.appearance_anxiety': '制造容貌焦虑',
    'phrase.custom': '自定义禁用词', 'claim.cure_rate': '宣传有效率', 'service.unknown': '不在服务目录的项目',
    'service.inactive': '已下架的项目', 'price.mismatch': '价格与目录不符', 'duration.mismatch': '时长与目录不符',
    'person.other_name': '出现其他人的姓名', 'person.other_data': '出现其他人的联系方式', after_person: '其后内容',
  };
  const ALERTS = {
    automation_job_dead: '自动化任务失败', no_consultants: '没有可通知的顾问', customer_unclaimed: '客户等待认领超时',
  };
  const ACTIONS = {
    'settings.update': '修改设置', 'mcp.key.view': '查看密钥', 'mcp.key.rotate': '轮换密钥', 'mcp.group.create': '创建工具组',
    'mcp.group.update': '修改工具组', 'mcp.group.delete': '删除工具组', 'mcp.tool.update': '修改工具',
    'dify.config.create': '新增 Dify 配置', 'dify.config.update': '修改 Dify 配置', 'dify.config.delete': '删除 Dify 配置',
    'user.create': '新增员工', 'user.update': '修改员工', 'job.retry': '重试任务',
    'mcp.key.revoke_previous': '作废旧密钥',
  };
  const TABS = [
    { id: 'dashboard', name: '仪表盘' }, { id: 'customers', name: '客户' }, { id: 'jobs', name: '失败任务' },
    { id: 'mcp', name: 'MCP 工具' }, { id: 'dify', name: 'Dify 智能体' }, { id: 'settings', name: '设置' },
    { id: 'staff', name: '员工', admin: true }, { id: 'audit', name: '审计日志', admin: true },
  ];

  const words = {
    displayName, dateTime,
    time: (iso) => (iso ? new Date(iso).toLocaleTimeString('zh-CN', { hour12: false }) : ''),
    roleName: (r) => ROLES[r] || r,
    stepName: (s) => (s ? STEPS[s] || s : ''),
    jobStatusName: (s) => (s ? JOB_STATUS[s] || s : '无'),
    sourceName: (s) => SOURCES[s] || s || '',
    reasonName: (r) => REASONS[r] || (r && r.startsWith('http_') ? 'Dify 返回 ' + r.slice(5) : r),
    alertName: (k) => ALERTS[k] || '系统告警',
    actionName: (a) => ACTIONS[a] || a,
    statusName: (s) => (s === 'up' ? '正常' : '异常'),
    breakerState: (s) => ({ CLOSED: '正常', OPEN: '已熔断', HALF_OPEN: '试探中' }[s] || s),
    breakerName: (n) => (n === 'dify-local-agent' ? '内置智能体' : String(n).replace(/^dify-/, '')),
    callerName: (c) => (c && c.startsWith('admin:') ? '管理员测试（' + c.slice(6) + '）'
      : c && c.includes('local-agent') ? '内置智能体' : c || ''),
    pct: (v) => (v === null || v === undefined ? '—' : (v * 100).toFixed(v === 1 || v === 0 ? 0 : 1) + '%'),
    ms: (v) => (v === null || v === undefined ? '—' : v >= 1000 ? (v / 1000).toFixed(2) + ' 秒' : Math.round(v) + ' 毫秒'),
    minutes: (v) => (v === null || v === undefined ? '—' : v < 1 ? Math.round(v * 60) + ' 秒' : v.toFixed(1) + ' 分钟'),
    fe: (err, field) => fieldError(err, field),
    guardResultName: (r) => GUARD_RESULTS[r] || r || '',
    ruleName: (r) => GUARD_RULES[r] || r,
    /** A job error in a sentence an operations lead reads; the raw text stays beside it for developers. */
    errorSummary: (e) => {
      if (!e) return '';
      if (e.includes('nobody is listening')) return '负责该步骤的服务未运行';
      if (e.includes('no answer in time')) return '等待应答超时';
      if (e.includes('lease')) return '任务被其他节点接管';
      return '执行出错';
    },
    /** An admin alert in zh-CN (the dead-job alert's own message is for developers). */
    alertText: (a) => {
      const d = a.details || {};
      if (a.kind === 'automation_job_dead') {
        return '注册自动化在「' + (STEPS[d.step] || d.step || '未知步骤') + '」步骤失败，已尝试 ' + (d.attempts || 1)
          + ' 次，请到「失败任务」处理';
      }
      return a.message;
    },
  };

  /** The API with this session's token; a 401 (expired token, disabled account) ends the session. */
  async function call(method, path, body) {
    const s = Alpine.store('auth');
    try {
      return await api(method, path, s.token, body);
    } catch (err) {
      if (err.status === 401 && s.token) s.end();
      throw err;
    }
  }

  /** A datetime-local input's value (the browser's local time) as an ISO-8601 instant, or undefined. */
  function instant(local) {
    return local ? new Date(local).toISOString() : undefined;
  }

  function query(params) {
    const q = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
    return q ? '?' + q : '';
  }

  const charts = new Map();
  function chart(id, option) {
    const node = document.getElementById(id);
    if (!node) return;
    let c = charts.get(id);
    if (!c || c.getDom() !== node) {
      if (c) c.dispose();
      c = echarts.init(node, null, { renderer: 'canvas' });
      charts.set(id, c);
    }
    c.setOption(option, true);
  }
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

  document.addEventListener('alpine:init', () => {
    Alpine.store('auth', {
      token: null, me: null,
      get isAdmin() { return this.me && this.me.role === 'admin'; },
      start(token, me) {
        this.token = token;
        this.me = me;
        sessionStorage.setItem(KEY, JSON.stringify({ token, me }));
      },
      end() {
        sessionStorage.removeItem(KEY);
        location.hash = '';
        location.reload();
      },
    });

    Alpine.store('live', {
      alerts: [], counters: null, eb: null,
      add(a, notificationId) {
        const key = notificationId || (a.kind + ':' + a.timestamp + ':' + JSON.stringify(a.details || {}));
        if (this.alerts.some((x) => x.key === key)) return;
        this.alerts.unshift({ ...a, key, notificationId });
        this.alerts.splice(50);
      },
      async read(a) {
        await call('POST', '/notifications/' + a.notificationId + '/read');
        this.alerts = this.alerts.filter((x) => x !== a);
      },
    });

    Alpine.data('consoleApp', () => ({
      ...words,
      me: null, tab: 'dashboard', loginError: '', bridgeState: 'offline', toasts: [],
      init() {
        const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
        if (saved) this.enter(saved.token, saved.me);
        window.addEventListener('hashchange', () => this.route());
        window.addEventListener('open-customer', () => { location.hash = 'customers'; });
        window.addEventListener('toast', (e) => this.toast(e.detail.text, e.detail.kind));
      },
      visibleTabs() {
        return TABS.filter((t) => !t.admin || Alpine.store('auth').isAdmin);
      },
      route() {
        const id = location.hash.slice(1);
        const ok = this.visibleTabs().some((t) => t.id === id);
        this.tab = ok ? id : 'dashboard';
        window.dispatchEvent(new CustomEvent('tab-shown', { detail: this.tab }));
      },
      async signIn(form) {
        this.loginError = '';
        try {
          const res = await login(form.username.value.trim(), form.password.value);
          if (res.user.role !== 'admin' && res.user.role !== 'operator') {
            throw new Error('该账号没有管理台权限（需要管理员或运营账号）');
          }
          this.enter(res.access_token, res.user);
        } catch (err) {
          this.loginError = err.message;
        }
      },
      enter(token, me) {
        Alpine.store('auth').start(token, me);
        this.me = me;
        this.$nextTick(() => this.route());
        const live = Alpine.store('live');
        // the server confirms the registration with a presence notice: from then on alerts arrive live
        live.eb = bridge(token, (eb) => {
          eb.registerHandler('client.admins', (err, msg) => !err && this.onLive(msg.body));
        }, (state) => { this.bridgeState = state === 'offline' ? 'offline' : 'connecting'; });
        if (me.role === 'admin') {
          call('GET', '/notifications?unread=true&limit=50').then((inbox) => {
            for (const n of inbox.items.filter((i) => i.kind === 'admin_alert').reverse()) live.add(n.body, n.id);
          }).catch(() => {});
        }
      },
      onLive(body) {
        const live = Alpine.store('live');
        if (body.type === 'presence') {
          this.bridgeState = 'online';
        } else if (body.type === 'counters') {
          live.counters = body;
        } else if (body.type === 'admin_alert') {
          live.add(body, body.notification_id);
          this.toast(this.alertName(body.kind) + '：' + this.alertText(body), 'bad');
          window.dispatchEvent(new CustomEvent('admin-alert', { detail: body }));
        }
      },
      toast(text, kind) {
        const id = Math.random();
        this.toasts.push({ id, text, kind: kind || 'ok' });
        setTimeout(() => { this.toasts = this.toasts.filter((t) => t.id !== id); }, 6000);
      },
      signOut() {
        Alpine.store('auth').end();
      },
    }));

    // ---- dashboard --------------------------------------------------------------------------------------------
    Alpine.data('dashboardPanel', () => ({
      days: 7, data: null, error: '', timer: null,
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'dashboard') this.load(); });
        window.addEventListener('admin-alert', () => { if (this.tab === 'dashboard') this.load(); });
        this.load();
        this.timer = setInterval(() => { if (this.tab === 'dashboard' && !document.hidden) this.load(); }, 60_000);
      },
      async load() {
        try {
          this.data = await call('GET', '/admin/registration-automation/dashboard?days=' + this.days);
          // today's counters as they are now; the bridge brings each change after this
          Alpine.store('live').counters = { ...this.data.today, at: this.data.generated_at };
          this.error = '';
          this.$nextTick(() => this.draw());
        } catch (err) {
          this.error = '仪表盘加载失败：' + err.message;
        }
      },
      draw() {
        const d = this.data;
        const trends = d.automation_metrics.daily_trends;
        const dates = trends.map((t) => t.date.slice(5));
        const grid = { left: 40, right: 12, top: 40, bottom: 28, containLabel: true };
        chart('chart-trends', {
          tooltip: { trigger: 'axis' }, legend: { top: 0, type: 'scroll' }, grid,
          xAxis: { type: 'category', data: dates }, yAxis: { type: 'value', minInterval: 1 },
          series: [
            { name: '注册', type: 'bar', data: trends.map((t) => t.registrations) },
            { name: '完成', type: 'line', data: trends.map((t) => t.succeeded) },
            { name: '失败', type: 'line', data: trends.map((t) => t.failed + t.dead) },
            { name: '默认模板', type: 'line', data: trends.map((t) => t.fallbacks) },
            { name: '已认领', type: 'line', data: trends.map((t) => t.claimed) },
          ],
        });
        const src = d.welcome_sources;
        chart('chart-sources', {
          tooltip: { trigger: 'item', formatter: '{b}：{c}（{d}%）' }, legend: { bottom: 0 },
          series: [{ type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'],
            // a slice of 0 is left out: its label would sit on top of its neighbour's
            data: [{ name: 'Dify 智能体', value: src.dify }, { name: '内置智能体', value: src['local-agent'] },
              { name: '默认模板', value: src.fallback }].filter((x) => x.value > 0) }],
        });
        chart('chart-response', {
          tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid,
          xAxis: { type: 'category', data: dates }, yAxis: { type: 'value', name: '分钟' },
          series: [
            { name: '认领时长', type: 'line', connectNulls: true, data: trends.map((t) => t.claim_minutes_p50) },
            { name: '首次人工回复', type: 'line', connectNulls: true, data: trends.map((t) => t.first_reply_minutes_p50) },
          ],
        });
        const tools = d.mcp_server_status.tools;
        chart('chart-mcp', {
          tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid,
          xAxis: { type: 'category', data: tools.map((t) => t.tool), axisLabel: { interval: 0, rotate: tools.length > 3 ? 30 : 0 } },
          yAxis: [{ type: 'value', name: '次数', minInterval: 1 }, { type: 'value', name: 'p95 毫秒' }],
          series: [
            { name: '调用', type: 'bar', data: tools.map((t) => t.calls) },
            { name: '错误', type: 'bar', data: tools.map((t) => t.errors) },
            { name: 'p95', type: 'line', yAxisIndex: 1, data: tools.map((t) => t.p95_ms) },
          ],
        });
        const cfg = d.dify_agent_status.configs;
        chart('chart-dify', {
          tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null ? '—' : v + '%') }, legend: { top: 0 }, grid,
          xAxis: { type: 'category', data: cfg.map((c) => (c.name || '已删除') + ' v' + c.version) },
          yAxis: { type: 'value', max: 100, name: '%' },
          series: [
            { name: '成功率', type: 'bar', data: cfg.map((c) => this.round(c.success_rate)) },
            { name: '降级率', type: 'bar', data: cfg.map((c) => this.round(c.fallback_rate)) },
            { name: '24 小时内回复', type: 'bar', data: cfg.map((c) => this.round(c.replied_24h_rate)) },
          ],
        });
      },
      round(v) {
        return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
      },
    }));

    // ---- customers ------------------------------------------------------------------------------------------
    Alpine.data('customersPanel', () => ({
      q: '', results: [], timeline: null, error: '',
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'customers' && !this.results.length) this.search(); });
      },
      async search() {
        try {
          const page = await call('GET', '/admin/registration-automation/customers' + query({ q: this.q.trim(), limit: 30 }));
          this.results = page.items;
          this.error = page.items.length ? '' : '没有找到匹配的客户';
        } catch (err) {
          this.error = err.message;
        }
      },
      async open(id) {
        try {
          this.timeline = await call('GET', '/admin/registration-automation/customers/' + id + '/timeline');
          this.error = '';
          this.$nextTick(() => document.getElementById('timeline')?.scrollIntoView({ behavior: 'smooth' }));
        } catch (err) {
          this.error = err.message;
        }
      },
      assignmentText(e) {
        const who = e.consultant ? e.consultant.display_name : '';
        switch (e.event) {
          case 'offered': return '分配给 ' + who + '（第 ' + e.offer_seq + ' 次分配）';
          case 'expired': return who + ' 未在时限内接受' + (e.detail === 'escalated' ? '，已升级为全员提醒'
            : e.detail === 'claimed_by_other' ? '，客户已被他人认领' : '，转给下一位');
          case 'accepted': return who + ' 接受了分配';
          case 'broadcast': return '改为通知全部顾问（' + ({ nobody_eligible: '没有可分配的在线顾问',
            all_timed_out: '所有顾问均未接受', escalated: '等待超时', mode_changed: '分配规则已改为广播' }[e.detail] || e.detail) + '）';
          default: return e.event;
        }
      },
      eventText(e) {
        switch (e.type) {
          case 'registered': return '注册（来源 ' + (e.source || '未知') + '）';
          case 'step': return this.stepName(e.step) + (e.success ? ' 成功' : ' 失败：' + (e.error || ''))
            + '（第 ' + e.attempt + ' 次，' + this.ms(e.duration_ms) + '）';
          case 'welcome': return '欢迎消息已发送：' + this.sourceName(e.source)
            + (e.config_name && e.config_name !== this.sourceName(e.source) ? ' · ' + e.config_name : '')
            + (e.config_version ? ' · 版本 ' + e.config_version : '') + (e.fallback_reason ? ' · ' + this.reasonName(e.fallback_reason) : '');
          case 'mcp_call': return 'MCP 调用 ' + e.tool + '（' + (e.group || '') + '，' + this.callerName(e.caller) + '）'
            + (e.success ? ' 成功' : ' 失败：' + (e.error || '')) + '，' + this.ms(e.duration_ms);
          case 'notification': return ({ escalation: '超时提醒', offer: '分配通知' }[e.kind] || '新客户通知') + ' → '
            + e.recipient.display_name + '（' + (e.channel === 'live' ? '在线实时' : '收件箱') + '）'
            + (e.delivered_at ? ' · 已送达 ' + this.time(e.delivered_at) : ' · 未送达')
            + (e.pushed_at ? ' · 已推送' : '') + (e.read_at ? ' · 已读 ' + this.time(e.read_at) : '');
          case 'welcome_guard': return '合规检查：' + this.guardResultName(e.result)
            + (e.rules && e.rules.length ? '（' + e.rules.map((r) => this.ruleName(r)).join('，') + '）' : '');
          case 'assignment': return this.assignmentText(e);
          case 'offline_send': return ({ web_push: '浏览器推送', wecom: '企业微信' }[e.channel] || e.channel) + ' → '
            + e.recipient.display_name + '（' + ({ new_customer: '新客户', offer: '分配', escalation: '超时提醒' }[e.kind] || e.kind)
            + (e.reason === 'unacknowledged' ? '，页面未确认送达' : '，顾问不在线') + '）'
            + ({ sent: ' · 已送出', pending: ' · 待发送', failed: ' · 失败（' + (e.error || '') + '）',
              skipped: ' · 未发送（' + ({ acknowledged: '页面已确认', claimed: '已被认领', offer_ended: '分配已结束' }[e.error] || e.error) + '）' }[e.status] || '');
          case 'escalated': return '等待认领超时，已升级提醒';
          case 'claimed': return '被 ' + (e.consultant ? e.consultant.display_name : '顾问') + ' 认领';
          case 'first_reply': return (e.consultant ? e.consultant.display_name : '顾问') + ' 首次回复';
          case 'customer_message': return '客户首次发言';
          default: return e.type;
        }
      },
    }));

    // ---- failed and dead jobs -----------------------------------------------------------------------------------
    Alpine.data('jobsPanel', () => ({
      f: { status: 'dead', step: '', error_contains: '', from: '', to: '' }, items: [], total: 0, error: '',
      steps: Object.keys(STEPS),
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'jobs') this.load(); });
        window.addEventListener('admin-alert', (e) => {
          if (this.tab === 'jobs' && e.detail.kind === 'automation_job_dead') this.load();
        });
      },
      filter() {
        return { status: this.f.status, step: this.f.step || undefined,
          error_contains: this.f.error_contains.trim() || undefined, from: instant(this.f.from), to: instant(this.f.to) };
      },
      async load() {
        try {
          const page = await call('GET', '/admin/registration-automation/jobs' + query({ ...this.filter(), limit: 100 }));
          this.items = page.items;
          this.total = page.total;
          this.error = '';
        } catch (err) {
          this.error = err.message;
        }
      },
      async retry(job) {
        try {
          await call('POST', '/admin/registration-automation/jobs/' + job.id + '/retry', {});
          this.$dispatch('toast', { text: '已重新执行 ' + job.display_name + ' 的任务' });
          await this.load();
        } catch (err) {
          this.error = err.message;
        }
      },
      async retryBatch() {
        if (!confirm('确定重试符合当前筛选条件的全部 ' + this.total + ' 个任务吗？')) return;
        try {
          const res = await call('POST', '/admin/registration-automation/jobs/retry', this.filter());
          this.$dispatch('toast', { text: '已重新执行 ' + res.retried + ' 个任务' });
          await this.load();
        } catch (err) {
          this.error = err.message;
        }
      },
    }));

    // ---- MCP ------------------------------------------------------------------------------------------------
    Alpine.data('mcpPanel', () => ({
      groups: [], tools: [], error: '', key: null, confirmRotate: null, grace: 600, graceDefault: 600,
      rotateError: null,
      newGroup: { name: '', description: '' }, groupError: null,
      test: { toolId: '', args: '{}', customerId: '', result: null, error: null, argsError: '' },
      calls: { f: { tool: '', group_id: '', success: '', from: '', to: '' }, items: [], next: null },
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'mcp') this.load(); });
      },
      toolNames() {
        return [...new Set(this.tools.map((t) => t.tool_name))].sort();
      },
      async load() {
        try {
          const [g, t] = await Promise.all([call('GET', '/mcp/groups'), call('GET', '/mcp/tools')]);
          this.graceDefault = g.key_grace_default_seconds;
          // the quota as the inputs hold it: empty = unlimited (null)
          this.groups = g.items.map((x) => ({ ...x, error: null, q: { rate: x.rate_per_second ?? '', burst: x.burst ?? '',
            max: x.max_concurrent ?? '' } }));
          this.tools = t.items.map((x) => ({ ...x, error: null }));
          if (!this.test.toolId && this.tools.length) this.test.toolId = this.tools[0].id;
          this.error = '';
          await this.loadCalls(true);
        } catch (err) {
          this.error = err.message;
        }
      },
      async viewKey(g) {
        try {
          const res = await call('GET', '/mcp/groups/' + g.id + '/api-key');
          this.key = { group: g.name, value: res.api_key, note: '查看密钥已记入审计日志。' };
        } catch (err) {
          this.error = err.message;
        }
      },
      askRotate(g) {
        this.grace = this.graceDefault;
        this.rotateError = null;
        this.confirmRotate = g;
        // the dialog opens under the table: bring it into view, or the admin clicks and sees nothing happen
        this.$nextTick(() => document.getElementById('rotate-confirm')?.scrollIntoView({ block: 'center' }));
      },
      async rotate() {
        const g = this.confirmRotate;
        try {
          const res = await call('POST', '/mcp/groups/' + g.id + '/regenerate-key', { grace_seconds: this.grace });
          this.confirmRotate = null;
          const until = res.previous_key_valid_until;
          this.key = { group: g.name, value: res.api_key, note: until
            ? '旧密钥在 ' + dateTime(until) + ' 前仍可使用：请在此之前把新密钥填入 Dify 等客户端。'
            : '旧密钥已立即失效，请更新使用它的客户端（如 Dify）。' };
          this.$dispatch('toast', { text: '「' + g.name + '」的密钥已轮换' + (until ? '，旧密钥宽限至 ' + dateTime(until) : '，旧密钥已失效') });
          await this.load();
        } catch (err) {
          this.rotateError = err;
        }
      },
      async revokePrevious(g) {
        if (!confirm('立即作废「' + g.name + '」的旧密钥？仍在使用旧密钥的客户端会立刻收到 401。')) return;
        try {
          await call('POST', '/mcp/groups/' + g.id + '/revoke-previous-key', {});
          this.$dispatch('toast', { text: '「' + g.name + '」的旧密钥已作废' });
          await this.load();
        } catch (err) {
          this.error = err.message;
        }
      },
      quotaText(g) {
        return [g.rate_per_second ?? '不限', g.burst ?? '自动', g.max_concurrent ?? '不限'].join(' / ');
      },
      async saveQuota(g) {
        const num = (v) => (v === '' || v === null || v === undefined ? null : Number(v));
        try {
          const saved = await call('PUT', '/mcp/groups/' + g.id, { rate_per_second: num(g.q.rate), burst: num(g.q.burst),
            max_concurrent: num(g.q.max) });
          Object.assign(g, saved, { error: null });
          this.$dispatch('toast', { text: '「' + g.name + '」的配额已保存，立即生效' });
        } catch (err) {
          g.error = err;
        }
      },
      async toggleGroup(g) {
        try {
          await call('PUT', '/mcp/groups/' + g.id, { enabled: !g.enabled });
          await this.load();
        } catch (err) {
          this.error = err.message;
        }
      },
      async createGroup() {
        try {
          await call('POST', '/mcp/groups', { name: this.newGroup.name.trim(), description: this.newGroup.description.trim() || undefined });
          this.newGroup = { name: '', description: '' };
          this.groupError = null;
          await this.load();
        } catch (err) {
          this.groupError = err;
        }
      },
      async saveTool(t) {
        try {
          const saved = await call('PUT', '/mcp/tools/' + t.id, { enabled: t.enabled, group_id: t.group_id,
            timeout_seconds: t.timeout_seconds, description: t.description });
          Object.assign(t, saved, { error: null });
          this.$dispatch('toast', { text: '工具 ' + t.tool_name + ' 已保存，立即生效' });
        } catch (err) {
          t.error = err;
        }
      },
      async testCall() {
        let args;
        try {
          args = JSON.parse(this.test.args || '{}');
          this.test.argsError = '';
        } catch (e) {
          this.test.argsError = '参数不是有效的 JSON';
          return;
        }
        try {
          this.test.result = await call('POST', '/admin/mcp/tools/' + this.test.toolId + '/test',
            { arguments: args, customer_id: this.test.customerId.trim() || undefined });
          this.test.error = null;
          // the call log is written in batches a moment after the call (off the call's path)
          setTimeout(() => this.loadCalls(true), 800);
        } catch (err) {
          this.test.error = err;
          this.test.result = { is_error: true, error: err.message, duration_ms: 0 };
        }
      },
      async loadCalls(first) {
        const f = this.calls.f;
        const page = await call('GET', '/admin/mcp/calls' + query({ tool: f.tool, group_id: f.group_id, success: f.success,
          from: instant(f.from), to: instant(f.to), before: first ? undefined : this.calls.next, limit: 50 }));
        this.calls.items = first ? page.items : this.calls.items.concat(page.items);
        this.calls.next = page.next_before;
      },
      copy(text) {
        navigator.clipboard?.writeText(text);
        this.$dispatch('toast', { text: '已复制' });
      },
    }));

    // ---- Dify -----------------------------------------------------------------------------------------------
    const blankConfig = () => ({ id: null, name: '', base_url: '', api_key: '', version: '1', weight: 100,
      timeout_ms: 30000, mode: 'agent', enabled: true });
    Alpine.data('difyPanel', () => ({
      configs: [], breakers: {}, variants: [], error: '', probeResult: null, form: blankConfig(), formError: null,
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'dify') this.load(); });
      },
      async load() {
        try {
          const [list, dash] = await Promise.all([call('GET', '/dify/configs'),
            call('GET', '/admin/registration-automation/dashboard?days=30')]);
          this.configs = list.items;
          this.breakers = dash.dify_agent_status.breakers;
          this.variants = dash.dify_agent_status.configs;
          this.error = '';
        } catch (err) {
          this.error = err.message;
        }
      },
      edit(c) {
        this.form = { ...blankConfig(), ...c, api_key: '' };
        this.formError = null;
      },
      reset() {
        this.form = blankConfig();
        this.formError = null;
      },
      async save() {
        const f = this.form;
        const body = { name: f.name, base_url: f.base_url, version: f.version, weight: f.weight,
          timeout_ms: f.timeout_ms, mode: f.mode, enabled: f.enabled };
        if (f.api_key) body.api_key = f.api_key; // write-only: left out, the stored key stays
        try {
          if (this.form.id) await call('PUT', '/dify/configs/' + this.form.id, body);
          else await call('POST', '/dify/configs', body);
          this.$dispatch('toast', { text: '配置已保存，立即生效' });
          this.reset();
          await this.load();
        } catch (err) {
          this.formError = err;
        }
      },
      async remove(c) {
        if (!confirm('确定删除配置「' + c.name + '」吗？使用它的客户会重新分配。')) return;
        try {
          await call('DELETE', '/dify/configs/' + c.id);
          await this.load();
        } catch (err) {
          this.error = err.message;
        }
      },
      async probe(c) {
        try {
          const res = await call('GET', '/dify/configs/' + c.id + '/health');
          this.probeResult = { ...res, name: c.name };
        } catch (err) {
          this.probeResult = { ok: false, error: err.message, name: c.name };
        }
      },
    }));

    // ---- settings -------------------------------------------------------------------------------------------
    Alpine.data('settingsPanel', () => ({
      s: null, delays: '', phrases: '', err: null, saved: '', sample: '', preview: null, previewError: '',
      get ro() { return !Alpine.store('auth').isAdmin; },
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'settings') this.load(); });
      },
      async load() {
        try {
          this.s = await call('GET', '/admin/registration-automation/settings');
          this.delays = this.s.retry_delays_seconds.join(', ');
          this.phrases = this.s.welcome_guard_phrases.join('\n');
          if (!this.sample) this.sample = this.s.welcome_template;
          this.err = null;
        } catch (err) {
          this.err = err;
        }
      },
      async save() {
        this.saved = '';
        const delays = this.delays.split(/[,，\s]+/).filter(Boolean).map(Number);
        const body = { ...this.s, retry_delays_seconds: delays.some(Number.isNaN) ? this.delays : delays,
          welcome_guard_phrases: this.phraseList() };
        try {
          this.s = await call('PUT', '/admin/registration-automation/settings', body);
          this.delays = this.s.retry_delays_seconds.join(', ');
          this.phrases = this.s.welcome_guard_phrases.join('\n');
          this.err = null;
          this.saved = '已保存，下一位注册客户即按新设置处理';
        } catch (err) {
          this.err = err;
        }
      },
      phraseList() {
        return this.phrases.split('\n').map((p) => p.trim()).filter(Boolean);
      },
      phraseCount() {
        return this.phraseList().length;
      },
      /** What the guard would do with the sample, with the phrases as edited (not yet saved). */
      async checkSample() {
        try {
          this.preview = await call('POST', '/admin/registration-automation/welcome-guard/preview',
            { text: this.sample, phrases: this.phraseList() });
          this.previewError = '';
        } catch (err) {
          this.preview = null;
          this.previewError = fieldError(err, 'text') || fieldError(err, 'phrases') || err.message;
        }
      },
    }));

    // ---- notification settings: assignment rules and the alert ladder ------------------------------------------
    Alpine.data('notifySettingsPanel', () => ({
      n: null, err: null, saved: '', secret: '', clearSecret: false, wecom: null, testResult: '', testing: false,
      get ro() { return !Alpine.store('auth').isAdmin; },
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'settings') this.load(); });
      },
      async load() {
        try {
          this.n = await call('GET', '/admin/notification-settings');
          this.err = null;
        } catch (err) {
          this.err = err;
        }
        this.loadWecom();
      },
      async loadWecom() {
        try {
          this.wecom = await call('GET', '/admin/wecom/status');
        } catch (err) {
          this.wecom = null;
        }
      },
      // the channel's state in words (never a token or the secret: the server sends neither)
      get wecomState() {
        const w = this.wecom;
        if (!w) return '';
        if (w.token === 'off') {
          return w.enabled ? '未配置完整（需要企业ID、AgentId 和 Secret）' : '未开启';
        }
        if (w.token === 'ok') return '已连接企业微信（可获取 access_token）';
        if (w.token === 'checking') return '正在连接企业微信…';
        return '无法获取 access_token：' + (w.error || '未知原因');
      },
      async save() {
        this.saved = '';
        const { stored_document: ignored, wecom_secret_set: readOnly, ...body } = this.n;
        if (body.wecom_corp_id === '' || body.wecom_corp_id === null) delete body.wecom_corp_id;
        if (body.wecom_agent_id === '' || body.wecom_agent_id === null) delete body.wecom_agent_id;
        // write-only: sent only when typed (or cleared on purpose); omitted keeps the saved one
        if (this.clearSecret) body.wecom_secret = '';
        else if (this.secret.trim()) body.wecom_secret = this.secret.trim();
        try {
          this.n = await call('PUT', '/admin/notification-settings', body);
          this.err = null;
          this.secret = '';
          this.clearSecret = false;
          this.saved = '已保存，下一位新客户即按新规则分配';
          this.loadWecom();
        } catch (err) {
          this.err = err;
        }
      },
      async testWecom() {
        this.testResult = '';
        this.testing = true;
        try {
          await call('POST', '/admin/wecom/test', {});
          this.testResult = '测试消息已发出，请在企业微信中查看';
        } catch (err) {
          this.testResult = err.message;
        }
        this.testing = false;
        this.loadWecom();
      },
    }));

    // ---- staff ----------------------------------------------------------------------------------------------
    Alpine.data('staffPanel', () => ({
      users: [], error: '', staffRoles: ['consultant', 'doctor', 'operator', 'admin'],
      form: { username: '', full_name: '', display_name: '', wecom_userid: '', email: '', password: '', role: 'consultant' },
      formError: null,
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'staff') this.load(); });
      },
      async load() {
        try {
          const page = await call('GET', '/admin/users?limit=200');
          this.users = page.items.map((u) => ({ ...u, full_name: u.full_name || '', display_name: u.display_name || '',
            wecom_userid: u.wecom_userid || '', error: null }));
          this.error = '';
        } catch (err) {
          this.error = err.message;
        }
      },
      async save(u) {
        try {
          // an emptied display name or WeCom id clears it
          const saved = await call('PUT', '/admin/users/' + u.id, { role: u.role, is_active: u.is_active,
            full_name: u.full_name || undefined, display_name: u.display_name.trim(), wecom_userid: u.wecom_userid.trim() });
          Object.assign(u, saved, { full_name: saved.full_name || '', display_name: saved.display_name || '',
            wecom_userid: saved.wecom_userid || '', error: null });
          this.$dispatch('toast', { text: displayName(saved) + ' 已保存' });
        } catch (err) {
          u.error = err;
        }
      },
      async create() {
        try {
          await call('POST', '/admin/users', { ...this.form, full_name: this.form.full_name || undefined,
            display_name: this.form.display_name.trim() || undefined, wecom_userid: this.form.wecom_userid.trim() || undefined });
          this.form = { username: '', full_name: '', display_name: '', wecom_userid: '', email: '', password: '', role: 'consultant' };
          this.formError = null;
          await this.load();
        } catch (err) {
          this.formError = err;
        }
      },
    }));

    // ---- audit ----------------------------------------------------------------------------------------------
    Alpine.data('auditPanel', () => ({
      items: [], next: null, error: '',
      init() {
        window.addEventListener('tab-shown', (e) => { if (e.detail === 'audit') this.load(true); });
      },
      async load(first) {
        try {
          const page = await call('GET', '/admin/audit' + query({ limit: 50, before: first ? undefined : this.next }));
          this.items = first ? page.items : this.items.concat(page.items);
          this.next = page.next_before;
          this.error = '';
        } catch (err) {
          this.error = err.status === 404 ? '审计日志暂不可用（服务器尚未提供审计接口）' : err.message;
        }
      },
      actorName(a) {
        if (!a) return '';
        if (a.kind === 'system') return '系统';
        if (a.kind === 'mcp') return 'MCP 工具：' + a.display_name;
        return a.display_name;
      },
      targetName(a) {
        return ({ settings: '设置', mcp_group: '工具组', mcp_tool: '工具', dify_config: 'Dify 配置', user: '员工',
          job: '任务' }[a.target_type] || a.target_type || '') + (a.target_id ? ' ' + a.target_id : '');
      },
      diff(before, after) {
        if (!before && !after) return '';
        if (!before) return '新建：' + JSON.stringify(after);
        if (!after) return '删除：' + JSON.stringify(before);
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
          .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
        return keys.map((k) => k + '：' + JSON.stringify(before[k]) + ' → ' + JSON.stringify(after[k])).join('\n')
          || '（无变化）';
      },
    }));
  });
})();
