// What McpNodeIT hands over in the environment: the server's URLs, an admin token, the group keys, two customers
// and a context token for the first.
export const MCP = process.env.MCP_BASE;           // http://127.0.0.1:<MCP_PORT>
export const API = process.env.API_BASE;           // http://127.0.0.1:<HTTP_PORT>/api/v1
export const ADMIN = process.env.ADMIN_TOKEN;
export const KEYS = JSON.parse(process.env.MCP_KEYS); // group name → key
export const USER_A = process.env.USER_A;
export const USER_B = process.env.USER_B;
export const TOKEN_A = process.env.TOKEN_A;

/** Each seeded group's tools, as tools/list must show them (sorted). */
export const EXPECTED = {
  system_tools: ['backup_restore', 'project_metrics', 'system_config', 'user_management'],
  medical_tools: ['diagnosis_assist', 'medical_records', 'patient_analysis'],
  consultation_tools: ['consultation_history', 'customer_analysis', 'get_conversation_data', 'get_user_profile',
    'plan_generation'],
  project_tools: ['appointment_booking', 'basic_inquiry', 'service_info'],
  welcome_tools: ['get_user_profile', 'service_info'],
};

/** The tools that return records: they declare an output schema and answer with structuredContent too. */
export const RECORD_TOOLS = ['appointment_booking', 'basic_inquiry', 'consultation_history', 'customer_analysis',
  'diagnosis_assist', 'get_conversation_data', 'get_user_profile', 'medical_records', 'patient_analysis',
  'plan_generation', 'service_info'];

/** Every tool states all four behaviour hints; read-only ones are exactly these. */
export const READ_ONLY = ['basic_inquiry', 'consultation_history', 'customer_analysis', 'diagnosis_assist',
  'get_conversation_data', 'get_user_profile', 'medical_records', 'patient_analysis', 'project_metrics',
  'service_info'];

export function checkTool(t, { structured }) {
  const a = t.annotations ?? {};
  for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
    if (typeof a[hint] !== 'boolean') throw new Error(`${t.name}: ${hint} is not stated`);
  }
  if (a.readOnlyHint !== READ_ONLY.includes(t.name)) throw new Error(`${t.name}: readOnlyHint ${a.readOnlyHint}`);
  if (a.openWorldHint) throw new Error(`${t.name}: no tool reaches beyond the clinic's data`);
  if (JSON.stringify(t).includes('__absolute_uri__')) throw new Error(`${t.name}: a validator's key leaked`);
  if (t.inputSchema.type !== 'object') throw new Error(`${t.name}: input schema is not an object`);
  for (const p of Object.values(t.inputSchema.properties ?? {})) {
    if (!['string', 'integer', 'boolean', 'number'].includes(p.type) || !p.description) {
      throw new Error(`${t.name}: input schemas are flat, every property described`);
    }
  }
  const declares = t.outputSchema !== undefined;
  if (declares !== (structured && RECORD_TOOLS.includes(t.name))) {
    throw new Error(`${t.name}: outputSchema ${declares ? 'present' : 'missing'}`);
  }
}

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

/** A group's key as it is now (each test file runs in its own process; another may have rotated one). */
export async function keyOf(name) {
  return (await admin('GET', `/mcp/groups/${await groupId(name)}/api-key`)).api_key;
}
