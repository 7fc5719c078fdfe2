// The official MCP conformance suite against /mcp, both requirement sets (2025-11-25: the handshake era;
// 2026-07-28: the stateless era), through a loopback proxy that adds the test key (the suite's CLI cannot send an
// Authorization header; the product has no key-less mode). conformance/<revision>.yml lists, with the reason, each
// check that needs what a tools-only server with its own tools lacks; the suite fails the run on any other failure
// and on any listed check that passes (a stale entry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startProxy } from './proxy.mjs';
import { MCP, keyOf } from './env.mjs';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(DIR, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

function run(url, revision) {
  return new Promise((resolve) => {
    const args = [CLI, 'server', '--url', url, '--requirements', revision,
      '--expected-failures', path.join(DIR, 'conformance', `${revision}.yml`)];
    // process.execPath: the Node 22 these tests run on (the suite needs it)
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out: out.replace(/\x1b\[[0-9;]*m/g, '') }); });
  });
}

for (const revision of ['2025-11-25', '2026-07-28']) {
  test(`conformance ${revision}: every check passes except the listed ones`, async () => {
    const proxy = await startProxy(`${MCP}/mcp`, await keyOf('project_tools'));
    try {
      const { code, out } = await run(`http://127.0.0.1:${proxy.address().port}/mcp`, revision);
      const summary = (out.split('=== SUMMARY ===')[1] ?? '').split('Total:')[0];
      const passing = (summary.match(/^✓ .*$/gm) ?? []).map((l) => l.slice(2).replace(/:.*/, ''));
      const expected = (out.match(/^ {2}~ .*$/gm) ?? []).length;
      console.log(`conformance ${revision}: ${(out.match(/Total: .*/) ?? ['(no total)'])[0]}; ${expected} expected `
        + `failures; scenarios passing whole: ${passing.join('; ')}`);
      assert.equal(code, 0, out.slice(-4000));
      assert.match(out, /Baseline check passed: all failures are expected/);
    } finally {
      proxy.close();
    }
  });
}
