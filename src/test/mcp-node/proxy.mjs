// A loopback proxy that adds the test key: the conformance CLI has no option for an Authorization header, and the
// product has no key-less mode. Only for tests; listens on 127.0.0.1 and forwards to MCP_URL's host.
import http from 'node:http';

export function startProxy(target, key) {
  const base = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: base.host, authorization: `Bearer ${key}` };
    const upstream = http.request({ hostname: base.hostname, port: base.port, path: req.url, method: req.method,
      headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => { if (!res.headersSent) { res.writeHead(502); } res.end(); });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
