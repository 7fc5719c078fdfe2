// What McpNodeIT hands over in the environment: the server's URLs, an admin token, the group keys, two customers
// and a context token for the first.
export const MCP = process.env.MCP_BASE;           // http://127.0.0.1:<MCP_PORT>
export const API = process.env.API_BASE;           // http://127.0.0.1:<HTTP_PORT>/api/v1
export const ADMIN = process.env.ADMIN_TOKEN;
export const KEYS = JSON.parse(process.env.MCP_KEYS); // group name → key
export const USER_A = process.env.USER_A;
export const USER_B = process.env.USER_B;
export const TOKEN_A = process.env.TOKEN_A;

export async function admin(method, path, body) {
  const res = await fetch(API + path, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function groupId(name) {
  return (await admin('GET', '/mcp/groups')).items.find((g) => g.name === name).id;
}
