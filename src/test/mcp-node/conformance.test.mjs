// The official MCP conformance suite against /mcp, through a loopback proxy that adds the test key (the suite's
// CLI cannot send an Authorization header; the product has no key-less mode). Only the scenarios that apply to a
// tools-only server are run; README lists the others and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startProxy } from './proxy.mjs';
import { MCP, KEYS } from './env.mjs';

const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'server-sse-multiple-streams',
  'server-sse-polling', 'dns-rebinding-protection'];
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '.bin', 'conformance');

function run(url, scenario) {
  return new Promise((resolve) => {
    const child = spawn(CLI, ['server', '--url', url, '--scenario', scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('conformance scenarios for a tools-only server pass', async () => {
  const proxy = await startProxy(`${MCP}/mcp`, KEYS.project_tools);
  const url = `http://127.0.0.1:${proxy.address().port}/mcp`;
  try {
    for (const scenario of SCENARIOS) {
      const { code, out } = await run(url, scenario);
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      console.log(`${scenario}: ${(plain.match(/Passed: .*/) ?? ['(no summary)'])[0]}`);
      assert.equal(code, 0, `${scenario}:\n${plain}`);
      assert.match(plain, /Passed: \d+\/\d+, 0 failed/, `${scenario}:\n${plain}`);
    }
  } finally {
    proxy.close();
  }
});
