// The handshake era: the official TypeScript SDK 1.x client against our server, over Streamable HTTP and both legacy
// SSE entry points, and a client that calls the way Dify does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { MCP, KEYS, USER_A, USER_B, TOKEN_A, EXPECTED, admin, checkTool, groupId } from './env.mjs';

const TRANSPORTS = {
  'streamable-http /mcp': (key) => new StreamableHTTPClientTransport(new URL(`${MCP}/mcp`),
    { requestInit: { headers: { Authorization: `Bearer ${key}` } } }),
  'sse /mcp/sse': (key) => new SSEClientTransport(new URL(`${MCP}/mcp/sse`),
    { requestInit: { headers: { Authorization: `Bearer ${key}` } } }),
  'sse GET /mcp': (key) => new SSEClientTransport(new URL(`${MCP}/mcp`),
    { requestInit: { headers: { Authorization: `Bearer ${key}` } } }),
};

async function connect(transport, key) {
  const client = new Client({ name: 'node-interop-test', version: '1.0.0' });
  await client.connect(TRANSPORTS[transport](key));
  return client;
}

const names = async (client) => (await client.listTools()).tools.map((t) => t.name).sort();
const text = (result) => JSON.parse(result.content[0].text);

for (const transport of Object.keys(TRANSPORTS)) {
  test(`${transport}: each group sees exactly its tools, other groups' tools are unknown`, async () => {
    for (const [group, tools] of Object.entries(EXPECTED)) {
      const client = await connect(transport, KEYS[group]);
      try {
        assert.deepEqual(await names(client), tools, group);
        // SDK 1.32 asks for 2025-11-25 on every transport and gets it: output schemas included
        for (const t of (await client.listTools()).tools) {
          checkTool(t, { structured: true });
        }
      } finally {
        await client.close();
      }
    }
    const project = await connect(transport, KEYS.project_tools);
    try {
      await assert.rejects(project.callTool({ name: 'get_user_profile', arguments: { user_id: USER_B } }),
        (e) => e.code === -32602 && /Unknown tool/.test(e.message));
      await assert.rejects(project.callTool({ name: 'no_such_tool', arguments: {} }),
        (e) => e.code === -32602 && /Unknown tool/.test(e.message));
      const answer = await project.callTool({ name: 'service_info', arguments: { keyword: '抗衰' } });
      const info = text(answer);
      assert.ok(info.services.length > 0);
      // the SDK has already checked structuredContent against the tool's outputSchema (it rejects a mismatch)
      assert.deepEqual(answer.structuredContent, info);
    } finally {
      await project.close();
    }
  });

  test(`${transport}: a bad key is refused`, async () => {
    await assert.rejects(connect(transport, 'mcp_key_' + 'x'.repeat(43)));
    await assert.rejects(connect(transport, ''));
  });

  test(`${transport}: context tokens limit the welcome group to one customer`, async () => {
    const client = await connect(transport, KEYS.welcome_tools);
    try {
      const own = await client.callTool({ name: 'get_user_profile', arguments: { context_token: TOKEN_A } });
      assert.equal(own.isError ?? false, false);
      assert.equal(text(own).id, USER_A);
      const other = await client.callTool({ name: 'get_user_profile',
        arguments: { context_token: TOKEN_A, user_id: USER_B } });
      assert.equal(other.isError, true);
      assert.match(other.content[0].text, /another user/);
      const none = await client.callTool({ name: 'get_user_profile', arguments: { user_id: USER_A } });
      assert.equal(none.isError, true);
      assert.match(none.content[0].text, /requires a context token/);
    } finally {
      await client.close();
    }
  });
}

test('rotated and disabled keys are refused at once', async () => {
  const id = await groupId('medical_tools');
  const old = KEYS.medical_tools;
  const rotated = await admin('POST', `/mcp/groups/${id}/regenerate-key`, { grace_seconds: 0 });
  KEYS.medical_tools = rotated.api_key;
  for (const transport of Object.keys(TRANSPORTS)) {
    await assert.rejects(connect(transport, old), transport);
    const fresh = await connect(transport, rotated.api_key);
    assert.deepEqual(await names(fresh), EXPECTED.medical_tools);
    await fresh.close();
  }
  await admin('PUT', `/mcp/groups/${id}`, { enabled: false });
  try {
    for (const transport of Object.keys(TRANSPORTS)) {
      await assert.rejects(connect(transport, rotated.api_key), transport);
    }
  } finally {
    await admin('PUT', `/mcp/groups/${id}`, { enabled: true });
  }
});

for (const transport of ['streamable-http /mcp', 'sse /mcp/sse']) {
  test(`${transport}: a disabled tool disappears on the next list, and open sessions are told`, async () => {
    const client = await connect(transport, KEYS.consultation_tools);
    const tools = (await admin('GET', `/mcp/tools?group_id=${await groupId('consultation_tools')}`)).items;
    const row = tools.find((t) => t.tool_name === 'plan_generation');
    let changed;
    const told = new Promise((resolve) => { changed = resolve; });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed(true));
    try {
      assert.ok((await names(client)).includes('plan_generation'));
      // the GET stream of a Streamable HTTP session opens after initialization: give it a moment to be there
      if (transport.startsWith('streamable')) await new Promise((r) => setTimeout(r, 300));
      await admin('PUT', `/mcp/tools/${row.id}`, { enabled: false });
      assert.ok(!(await names(client)).includes('plan_generation'));
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no list_changed')), 5000));
      assert.equal(await Promise.race([told, timeout]), true);
      await assert.rejects(client.callTool({ name: 'plan_generation', arguments: { customer_id: USER_A } }),
        (e) => e.code === -32602);
    } finally {
      await admin('PUT', `/mcp/tools/${row.id}`, { enabled: true });
      await client.close();
    }
  });
}

/** One call the way Dify makes it (api/core/mcp): a new session per call, protocol 2025-03-26, no version header. */
async function difyExchange(key, version = '2025-03-26') {
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream' };
  const post = (body, session) => fetch(`${MCP}/mcp`, { method: 'POST',
    headers: session ? { ...headers, 'mcp-session-id': session } : headers, body: JSON.stringify(body) });
  const read = async (res) => {
    const type = res.headers.get('content-type') ?? '';
    const body = await res.text();
    if (type.startsWith('text/event-stream')) {
      const data = body.split('\n').find((l) => l.startsWith('data: '));
      return JSON.parse(data.slice(6));
    }
    assert.ok(type.startsWith('application/json'), `unexpected content type ${type}`);
    return JSON.parse(body);
  };
  const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version,
    capabilities: { sampling: {}, roots: { listChanged: true } }, clientInfo: { name: 'Dify', version: '1.9.0' } } });
  assert.equal(init.status, 200);
  const session = init.headers.get('mcp-session-id');
  assert.ok(session);
  assert.equal((await read(init)).result.protocolVersion, version);
  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session);
  assert.equal(initialized.status, 202);
  const list = (await read(await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, session))).result;
  const call = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_user_profile',
    arguments: { context_token: TOKEN_A } } }, session);
  assert.equal(call.status, 200);
  const result = (await read(call)).result;
  // outputSchema and structuredContent from revision 2025-06-18 on; older sessions get neither, text for all
  const structured = version >= '2025-06-18';
  for (const t of list.tools) checkTool(t, { structured });
  assert.equal(result.structuredContent !== undefined, structured, version);
  const del = await fetch(`${MCP}/mcp`, { method: 'DELETE', headers: { ...headers, 'mcp-session-id': session } });
  assert.equal(del.status, 200);
  return result;
}

test('a Dify-style client: new session per call, 2025-03-26, JSON or SSE answers, DELETE at the end', async () => {
  for (let i = 0; i < 5; i++) {
    const result = await difyExchange(KEYS.welcome_tools);
    assert.equal(JSON.parse(result.content[0].text).id, USER_A);
  }
  // older Dify and the community plugin ask for 2024-11-05: echoed too
  await difyExchange(KEYS.welcome_tools, '2024-11-05');
  await difyExchange(KEYS.welcome_tools, '2025-06-18');
});
