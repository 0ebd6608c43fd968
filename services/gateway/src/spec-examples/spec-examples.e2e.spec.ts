import { type ConversationView, type MessageView } from '@chat/contracts';
import { act, createElement } from 'react';
import TestRenderer, { type ReactTestRenderer } from 'react-test-renderer';
import type { Socket } from 'socket.io-client';
import { ChatSystem } from '../testing/chat-system';
// @ts-expect-error: a plain JavaScript module, copied from the spec as written
import { useSocketMessaging } from './use-socket-messaging';

// The spec's "Integration Examples" run as written against the system: the React hook and
// the Quick Reference snippets. Their code keeps `http://localhost:3100`; the test's own
// gateway listens on a free port, so socket.io-client's `io` is pointed there underneath
// (the snippets are adapted only for the token and the ids).

let mockGatewayUrl = '';
jest.mock('socket.io-client', () => {
  const actual = jest.requireActual<typeof import('socket.io-client')>('socket.io-client');
  const redirected = (url: string, options?: Parameters<typeof actual.io>[1]) =>
    actual.io(url.replace('http://localhost:3100', mockGatewayUrl), options);
  return { __esModule: true, ...actual, default: redirected, io: redirected };
});
// Imported after the mock is declared; jest hoists jest.mock above the imports anyway.
import io from 'socket.io-client';

interface HookState {
  socket: Socket | null;
  connected: boolean;
  messages: MessageView[];
  typingUsers: Set<string>;
  joinConversation: (conversationId: string) => void;
  sendMessage: (conversationId: string, text: string, media?: unknown[]) => void;
  startTyping: (conversationId: string) => void;
  stopTyping: (conversationId: string) => void;
  markAsRead: (conversationId: string, messageIds?: string[]) => void;
}

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let system: ChatSystem;
const renderers: ReactTestRenderer[] = [];

beforeAll(async () => {
  system = await ChatSystem.start();
  mockGatewayUrl = system.url;
}, 180_000);

afterAll(async () => {
  for (const renderer of renderers) act(() => renderer.unmount());
  await system?.stop();
});

/** Mounts a component that uses the hook and exposes its latest state. */
function mountHook(token: string): { current: () => HookState } {
  let latest: HookState | undefined;
  function Probe(): null {
    latest = useSocketMessaging(token) as HookState;
    return null;
  }
  act(() => {
    renderers.push(TestRenderer.create(createElement(Probe)));
  });
  return {
    current: () => {
      if (!latest) throw new Error('the hook has not rendered');
      return latest;
    },
  };
}

/** Lets React process socket events until `condition` holds. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the hook never reached the expected state');
    await act(() => new Promise<void>((resolve) => setTimeout(resolve, 20)));
  }
}

async function directConversation(): Promise<{ alice: { token: string; id: string }; bob: { token: string; id: string }; conversationId: string }> {
  const alice = await system.user('Alice');
  const bob = await system.user('Bob');
  const created = await system.rest<ConversationView>('POST', '/api/conversations', {
    token: alice.token,
    body: { participantIds: [bob.user._id] },
  });
  if (!created.body.success) throw new Error(created.body.message);
  return { alice: { token: alice.token, id: alice.user._id }, bob: { token: bob.token, id: bob.user._id }, conversationId: created.body.data._id };
}

describe('the spec\'s React hook (useSocketMessaging), as written', () => {
  it('connects, joins, shows typing, sends, receives and marks as read', async () => {
    const { alice, bob, conversationId } = await directConversation();
    const aliceHook = mountHook(alice.token);
    const bobHook = mountHook(bob.token);
    await until(() => aliceHook.current().connected && bobHook.current().connected);

    act(() => {
      aliceHook.current().joinConversation(conversationId);
      bobHook.current().joinConversation(conversationId);
    });
    // No acknowledgement in the hook: Bob sees Alice typing once both have joined.
    // Repeated a few times a second, as a typist's keystrokes would (the gateway limits
    // each user's events per second), until Bob's join has surely been handled.
    let typedAt = 0;
    await until(() => {
      if (Date.now() - typedAt > 250) {
        typedAt = Date.now();
        act(() => aliceHook.current().startTyping(conversationId));
      }
      return bobHook.current().typingUsers.has(alice.id);
    });
    act(() => aliceHook.current().stopTyping(conversationId));
    await until(() => !bobHook.current().typingUsers.has(alice.id));

    act(() => aliceHook.current().sendMessage(conversationId, 'Hello from the React hook'));
    await until(() => bobHook.current().messages.length === 1 && aliceHook.current().messages.length === 1);
    expect(bobHook.current().messages[0]).toMatchObject({
      conversationId,
      text: 'Hello from the React hook',
      messageType: 'text',
      senderId: { _id: alice.id, name: 'Alice' },
    });

    act(() => bobHook.current().markAsRead(conversationId));
    const unread = async (): Promise<number | undefined> => {
      const answer = await system.rest<ConversationView>('GET', `/api/conversations/${conversationId}`, { token: bob.token });
      return answer.body.success ? answer.body.data.unreadCount : undefined;
    };
    const deadline = Date.now() + 10_000;
    while ((await unread()) !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await unread()).toBe(0);
  });
});

describe('the spec\'s Quick Reference, as written', () => {
  it('connection, join, send, listen, typing and read receipts', async () => {
    const { alice, bob, conversationId } = await directConversation();
    const connect = async (token: string): Promise<Socket> => {
      // Connection
      const socket = io('http://localhost:3100', {
        auth: { token },
        transports: ['websocket', 'polling'],
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return socket;
    };
    const aliceSocket = await connect(alice.token);
    const bobSocket = await connect(bob.token);
    try {
      const ID = conversationId;
      // Join Conversation
      aliceSocket.emit('join:conversation', { conversationId: ID });
      bobSocket.emit('join:conversation', { conversationId: ID });

      const typing: string[] = [];
      bobSocket.on('typing:start', ({ userId }: { userId: string }) => typing.push(`start:${userId}`));
      bobSocket.on('typing:stop', ({ userId }: { userId: string }) => typing.push(`stop:${userId}`));
      const received: MessageView[] = [];
      // Listen for Messages
      bobSocket.on('new:message', ({ message }: { message: MessageView }) => {
        received.push(message);
      });
      const read: string[][] = [];
      aliceSocket.on('messages:read', ({ messageIds }: { messageIds: string[] }) => read.push(messageIds));

      const deadline = Date.now() + 10_000;
      // Typing (repeated until Bob's join has surely been handled)
      while (!typing.includes(`start:${alice.id}`) && Date.now() < deadline) {
        aliceSocket.emit('typing:start', { conversationId: ID });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      aliceSocket.emit('typing:stop', { conversationId: ID });

      // Send Message
      aliceSocket.emit('send:message', {
        conversationId: ID,
        text: 'Hello',
        messageType: 'text',
      });
      while ((received.length === 0 || !typing.includes(`stop:${alice.id}`)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(typing).toContain(`start:${alice.id}`);
      expect(typing).toContain(`stop:${alice.id}`);
      expect(received.map((message) => message.text)).toEqual(['Hello']);

      // Read Receipts
      bobSocket.emit('message:read', {
        conversationId: ID,
        messageIds: [],
      });
      while (read.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(read).toEqual([[received[0]?._id]]);
    } finally {
      aliceSocket.close();
      bobSocket.close();
    }
  });
});
