// The stateless era (revision 2026-07-28): the official TypeScript SDK v2 client, pinned to that revision, against
// the same server and the same /mcp as the handshake-era clients (interop.test.mjs), in the same run. Also both eras
// at once, and the transport's rules checked on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as StatelessClient, StreamableHTTPClientTransport as StatelessTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MCP, USER_A, USER_B, TOKEN_A, EXPECTED, admin, checkTool, groupId, keyOf } from './env.mjs';

const REVISION = '2026-07-28';

async function stateless(key, headers = {}) {
  const client = new StatelessClient({ name: 'stateless-test', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: REVISION } } });
  await client.connect(new StatelessTransport(new URL(`${MCP}/mcp`),
    { requestInit: { headers: { Authorization: `Bearer ${key}`, ...headers } } }));
  assert.equal(client.getNegotiatedProtocolVersion(), REVISION);
  return client;
}

async function handshake(key) {
  const client = new Client({ name: 'handshake-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${MCP}/mcp`),
    { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

const text = (result) => JSON.parse(result.content[0].text);

test('stateless: each group sees exactly its tools, annotated, record tools with output schemas', async () => {
  for (const [group, tools] of Object.entries(EXPECTED)) {
    const key = await keyOf(group);
    const client = await stateless(key);
    try {
      const listed = await client.listTools({}, { cacheMode: 'bypass' });
      assert.deepEqual(listed.tools.map((t) => t.name).sort(), tools, group);
      for (const t of listed.tools) checkTool(t, { structured: true });
      // the same definitions as the handshake era lists for the same key
      const old = await handshake(key);
      try {
        const byName = (a, b) => a.name.localeCompare(b.name);
        assert.deepEqual([...listed.tools].sort(byName), [...(await old.listTools()).tools].sort(byName), group);
      } finally {
        await old.close();
      }
    } finally {
      await client.close();
    }
  }
});

test('stateless: discover names the revisions, the tools capability and the key group', async () => {
  const client = await stateless(await keyOf('welcome_tools'));
  try {
    const d = await client.discover();
    assert.ok(d.supportedVersions.includes(REVISION) && d.supportedVersions.includes('2025-03-26'));
    assert.deepEqual(d.capabilities.tools, { listChanged: true });
    assert.match(d.instructions, /welcome_tools \(2 tools; every call needs a context token\)/);
  } finally {
    await client.close();
  }
});

test('stateless: hidden tools are unknown, context tokens hold, results come structured', async () => {
  const project = await stateless(await keyOf('project_tools'));
  try {
    await assert.rejects(project.callTool({ name: 'get_user_profile', arguments: { user_id: USER_B } }),
      (e) => e.code === -32602 && /Unknown tool/.test(e.message));
    await assert.rejects(project.callTool({ name: 'no_such_tool', arguments: {} }),
      (e) => e.code === -32602 && /Unknown tool/.test(e.message));
  } finally {
    await project.close();
  }
  const welcome = await stateless(await keyOf('welcome_tools'));
  try {
    // the v2 client validates structuredContent against the listed outputSchema and rejects a mismatch
    await welcome.listTools();
    const own = await welcome.callTool({ name: 'get_user_profile', arguments: { context_token: TOKEN_A } });
    assert.equal(own.isError, false);
    assert.equal(own.structuredContent.id, USER_A);
    assert.deepEqual(own.structuredContent, text(own));
    const other = await welcome.callTool({ name: 'get_user_profile',
      arguments: { context_token: TOKEN_A, user_id: USER_B } });
    assert.equal(other.isError, true);
    assert.match(other.content[0].text, /another user/);
    const none = await welcome.callTool({ name: 'get_user_profile', arguments: { user_id: USER_A } });
    assert.match(none.content[0].text, /requires a context token/);
  } finally {
    await welcome.close();
  }
  const viaHeader = await stateless(await keyOf('welcome_tools'), { 'X-Context-Token': TOKEN_A });
  try {
    await viaHeader.listTools();
    const own = await viaHeader.callTool({ name: 'get_user_profile', arguments: {} });
    assert.equal(own.structuredContent.id, USER_A);
  } finally {
    await viaHeader.close();
  }
});

test('stateless: a bad or missing key is refused', async () => {
  await assert.rejects(stateless('mcp_key_' + 'x'.repeat(43)));
  await assert.rejects(stateless(''));
});

test('both eras against one server at once: handshake sessions, Dify-style exchanges and stateless calls', async () => {
  const modern = await stateless(await keyOf('welcome_tools'));
  const old = await handshake(await keyOf('welcome_tools'));
  try {
    await modern.listTools();
    await old.listTools();
    const calls = [];
    for (let i = 0; i < 20; i++) {
      calls.push(modern.callTool({ name: 'get_user_profile', arguments: { context_token: TOKEN_A } }));
      calls.push(old.callTool({ name: 'get_user_profile', arguments: { context_token: TOKEN_A } }));
      calls.push(modern.callTool({ name: 'service_info', arguments: { keyword: '补水', context_token: TOKEN_A } }));
    }
    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r.isError === false || r.isError === undefined));
    assert.equal(results.filter((r) => r.structuredContent?.id === USER_A).length, 40);
  } finally {
    await modern.close();
    await old.close();
  }
});

test('stateless: a listen stream hears when an admin changes the group tools', async () => {
  const client = await stateless(await keyOf('consultation_tools'));
  const row = (await admin('GET', `/mcp/tools?group_id=${await groupId('consultation_tools')}`)).items
    .find((t) => t.tool_name === 'plan_generation');
  let changed;
  const told = new Promise((resolve) => { changed = resolve; });
  client.setNotificationHandler('notifications/tools/list_changed', () => changed(true));
  const sub = await client.listen({ toolsListChanged: true });
  try {
    assert.deepEqual(sub.honoredFilter, { toolsListChanged: true });
    await admin('PUT', `/mcp/tools/${row.id}`, { enabled: false });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no list_changed')), 5000));
    assert.equal(await Promise.race([told, timeout]), true);
    const names = (await client.listTools({}, { cacheMode: 'bypass' })).tools.map((t) => t.name);
    assert.ok(!names.includes('plan_generation'));
    await assert.rejects(client.callTool({ name: 'plan_generation', arguments: { customer_id: USER_A } }),
      (e) => e.code === -32602);
  } finally {
    await admin('PUT', `/mcp/tools/${row.id}`, { enabled: true });
    await sub.close();
    await client.close();
  }
});

/** A raw stateless request: every header and field under the test's control. */
async function raw(key, method, params, headers = {}, meta = {}) {
  const _meta = { 'io.modelcontextprotocol/protocolVersion': REVISION,
    'io.modelcontextprotocol/clientCapabilities': {}, ...meta };
  const res = await fetch(`${MCP}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${key}`,
    'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': REVISION, 'Mcp-Method': method, ...headers },
  body: JSON.stringify({ jsonrpc: '2.0', id: 'r1', method, params: { ...params, _meta } }) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

test('stateless transport rules on the wire (404 for unknown methods, header and version checks)', async () => {
  const key = await keyOf('project_tools');
  for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/list', 'no/such/method']) {
    const r = await raw(key, method, {});
    assert.equal(r.status, 404, method);
    assert.equal(r.body.error.code, -32601, method);
    assert.equal(r.body.id, 'r1', method);
  }
  const mismatch = await raw(key, 'tools/list', {}, { 'Mcp-Method': 'prompts/list' });
  assert.deepEqual([mismatch.status, mismatch.body.error.code], [400, -32020]);
  const name = await raw(key, 'tools/call', { name: 'service_info', arguments: {} }, { 'Mcp-Name': 'other' });
  assert.deepEqual([name.status, name.body.error.code], [400, -32020]);
  const encoded = await raw(key, 'tools/call', { name: 'service_info', arguments: { limit: 1 } },
    { 'Mcp-Name': `=?base64?${Buffer.from('service_info').toString('base64')}?=` });
  assert.equal(encoded.status, 200);
  const future = await raw(key, 'tools/list', {}, { 'MCP-Protocol-Version': '2099-01-01' },
    { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' });
  assert.equal(future.status, 400);
  assert.equal(future.body.error.code, -32022);
  assert.ok(future.body.error.data.supported.includes(REVISION));
  const noMeta = await fetch(`${MCP}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${key}`,
    'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': REVISION, 'Mcp-Method': 'tools/list' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }) });
  assert.equal(noMeta.status, 400);
  assert.equal((await noMeta.json()).error.code, -32602);
  const cancelled = await fetch(`${MCP}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${key}`,
    'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': REVISION, 'Mcp-Method': 'notifications/cancelled' },
  body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } }) });
  assert.equal(cancelled.status, 202);
  // no session is minted, and a stale one is ignored
  const list = await fetch(`${MCP}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${key}`,
    'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Mcp-Session-Id': 'gone',
    'MCP-Protocol-Version': REVISION, 'Mcp-Method': 'tools/list' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: {
    'io.modelcontextprotocol/protocolVersion': REVISION, 'io.modelcontextprotocol/clientCapabilities': {} } } }) });
  assert.equal(list.status, 200);
  assert.equal(list.headers.get('mcp-session-id'), null);
});
