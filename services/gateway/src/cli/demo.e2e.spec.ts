import type { ConversationView } from '@chat/contracts';
import { DEV_JWT_SECRET } from '@chat/runtime';
import { DEV_ADMIN_API_KEY } from '../config/gateway-config';
import { chatSystemForFile } from '../testing/chat-system';
import { demoUsers, ensureDemo } from './demo';

// What `npm start` prints for a first run: demo users with working tokens and their
// conversation, the same on every start.

const running = chatSystemForFile();

it('creates the demo users and their conversation once, and finds the same on the next start', async () => {
  const system = running();
  const options = { gatewayUrl: system.url, adminApiKey: DEV_ADMIN_API_KEY, jwtSecret: DEV_JWT_SECRET };
  const first = await ensureDemo(options);
  expect(first.users.map((user) => user.id)).toEqual(demoUsers.map((user) => user._id));

  const again = await ensureDemo(options);
  expect(again.conversationId).toBe(first.conversationId);
  expect(again.users.map((user) => user.id)).toEqual(first.users.map((user) => user.id));

  // The printed tokens work: Bob sees the conversation Alice opened with him.
  const bob = again.users[1];
  const listed = await system.rest<ConversationView[]>('GET', '/api/conversations', { token: bob?.token });
  expect(listed.body.success && listed.body.data.map((conversation) => conversation._id)).toEqual([first.conversationId]);
}, 60_000);
