// The MCP Inspector's CLI (1.x, on Node 22) over Streamable HTTP with a key in --header: the command README.md
// documents for checking a deployment by hand, run here once against the test server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { MCP, keyOf } from './env.mjs';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '@modelcontextprotocol',
  'inspector', 'cli', 'build', 'cli.js');

async function inspector(...args) {
  const key = await keyOf('project_tools');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, '--cli', `${MCP}/mcp`, '--transport', 'http',
      '--header', `Authorization: Bearer ${key}`, ...args], { timeout: 60_000 },
    (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/** The CLI prints a deprecation banner before the JSON answer. */
const json = (out) => JSON.parse(out.slice(out.indexOf('{')));

test('MCP Inspector CLI lists and calls tools with the key in --header', async () => {
  const listed = json(await inspector('--method', 'tools/list'));
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), ['appointment_booking', 'basic_inquiry', 'service_info']);
  const called = json(await inspector('--method', 'tools/call', '--tool-name', 'service_info',
    '--tool-arg', 'keyword=补水', 'limit=1'));
  assert.equal(called.isError, false);
  assert.equal(called.structuredContent.count, 1);
  assert.deepEqual(JSON.parse(called.content[0].text), called.structuredContent);
});
