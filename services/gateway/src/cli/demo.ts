import type { ConversationView, UserView } from '@chat/contracts';
import { AccessTokens } from '@chat/runtime';
import { loadGatewayConfig } from '../config/gateway-config';

/**
 * Demo users for a first run (`npm start` prints them once the system is up): three users
 * with fixed ids and the direct conversation of the first two, all through the public REST
 * API. Registering a user with the same id and details again, and opening the same direct
 * conversation again, are answered with what exists, so every start reuses them.
 */
export const demoUsers = [
  { name: 'Alice', _id: '000000000000000000a11ce0' },
  { name: 'Bob', _id: '0000000000000000000b0b00' },
  { name: 'Carol', _id: '00000000000000000ca201e0' },
] as const;

export interface Demo {
  readonly users: readonly { readonly name: string; readonly id: string; readonly token: string }[];
  /** Alice and Bob's direct conversation. */
  readonly conversationId: string;
}

export interface DemoOptions {
  readonly gatewayUrl: string;
  readonly adminApiKey: string;
  readonly jwtSecret: string;
  readonly tokenHours?: number;
}

export async function ensureDemo({ gatewayUrl, adminApiKey, jwtSecret, tokenHours = 24 }: DemoOptions): Promise<Demo> {
  const tokens = new AccessTokens(jwtSecret);
  const users = [];
  for (const { name, _id } of demoUsers) {
    const user = await rest<UserView>(gatewayUrl, 'POST', '/api/users', { name, _id }, { 'x-admin-key': adminApiKey }, `registering ${name}`);
    users.push({ name, id: user._id, token: tokens.sign(user._id, tokenHours * 3600) });
  }
  const [alice, bob] = users;
  if (!alice || !bob) throw new Error('the demo needs two users');
  const conversation = await rest<ConversationView>(
    gatewayUrl,
    'POST',
    '/api/conversations',
    { participantIds: [bob.id] },
    { authorization: `Bearer ${alice.token}` },
    "opening Alice and Bob's conversation",
  );
  return { users, conversationId: conversation._id };
}

async function rest<T>(base: string, method: string, path: string, body: unknown, headers: Record<string, string>, what: string): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await response.json().catch(() => ({}))) as { success?: boolean; data?: T; message?: string };
  if (!response.ok || answer.success !== true || answer.data === undefined) {
    throw new Error(`${what}: ${method} ${path} answered ${response.status} ${answer.message ?? ''}`.trim());
  }
  return answer.data;
}

/** `node services/gateway/dist/cli/demo.js <gateway url>`: what `npm start` runs once the gateway is healthy. */
async function main(): Promise<void> {
  const gatewayUrl = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT?.trim() || '3100'}`;
  const config = loadGatewayConfig();
  const demo = await ensureDemo({ gatewayUrl, adminApiKey: config.adminApiKey, jwtSecret: config.jwtSecret });
  const [alice, bob] = demo.users;
  console.log('demo users (tokens valid 24 h; `npm run token -- <id>` signs new ones):');
  for (const user of demo.users) console.log(`  ${user.name.padEnd(6)} ${user.id}  ${user.token}`);
  console.log(`demo conversation (Alice and Bob): ${demo.conversationId}`);
  if (alice && bob) {
    console.log('try it, in two terminals:');
    console.log(`  node scripts/tour-client.cjs listen ${bob.token} ${demo.conversationId}`);
    console.log(`  node scripts/tour-client.cjs send ${alice.token} ${demo.conversationId} "Hello Bob"`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`${err instanceof Error ? err.message : String(err)}`);
    console.error('the system itself is up; check the gateway lines above, or run this again: node services/gateway/dist/cli/demo.js');
    process.exit(1);
  });
}
