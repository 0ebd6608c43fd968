import {
  CommandResult,
  conversationRoom,
  GatewayNotification,
  notificationPartitionKey,
  parseCommandResult,
  parseNotification,
  userRoom,
} from './index';
import { serverExamples } from './spec-examples.fixture';

const conversationId = '507f1f77bcf86cd799439011';
const alice = '507f1f77bcf86cd799439021';
const room = { room: conversationRoom(conversationId) };
const socket = { gatewayId: 'gateway-1', socketId: 'AbCdEfGhIjKlMnOpQrSt' };
const failure = (result: { success: boolean; message?: string }) => (result.success ? 'parsed' : result.message);

describe('gateway notifications', () => {
  it.each(Object.entries(serverExamples))('carries %s', (event, payload) => {
    const notification = { type: 'GatewayNotification', version: 1, target: room, event, payload, except: socket.socketId };
    expect(parseNotification(JSON.parse(JSON.stringify(notification)))).toEqual({ success: true, data: notification });
  });

  it('targets one socket through its gateway', () => {
    const notification: GatewayNotification = {
      type: 'GatewayNotification',
      version: 1,
      target: socket,
      event: 'message:sent',
      payload: serverExamples['message:sent'],
    };
    expect(parseNotification(notification)).toEqual({ success: true, data: notification });
    expect(notificationPartitionKey(notification)).toBe('gateway-1');
    expect(notificationPartitionKey({ ...notification, target: { room: userRoom(alice) } })).toBe(`user:${alice}`);
  });

  const base = { type: 'GatewayNotification', version: 1, target: room };
  it.each([
    ['a payload of another event', { ...base, event: 'message:sent', payload: serverExamples['new:message'] }, 'Invalid payload: payload.messageId: expected string, received undefined'],
    ['an event the spec does not have', { ...base, event: 'message:edited', payload: {} }, 'Invalid payload: event: Invalid discriminator value'],
    ['a room the spec does not name', { ...base, target: { room: 'everyone' }, event: 'user:online', payload: { userId: alice } }, 'Invalid payload: target'],
    ['another type', { ...base, type: 'Notification', event: 'user:online', payload: { userId: alice } }, 'Invalid payload: type: expected "GatewayNotification"'],
    ['a later version', { ...base, version: 2, event: 'user:online', payload: { userId: alice } }, 'Invalid payload: version: expected 1'],
    ['a non-ObjectId user', { ...base, event: 'user:online', payload: { userId: 'alice' } }, 'Invalid payload: payload.userId: expected a 24-hex-digit ObjectId'],
  ])('rejects %s', (_name, raw, message) => {
    expect(failure(parseNotification(raw))).toContain(message);
  });

  it('correlates event and payload in the type', () => {
    const wrong: GatewayNotification = {
      type: 'GatewayNotification',
      version: 1,
      target: room,
      event: 'user:online',
      // @ts-expect-error user:online carries { userId }, message:delivered { messageId }
      payload: { messageId: alice },
    };
    expect(wrong.event).toBe('user:online');
  });
});

describe('command results', () => {
  const base = { version: 1 as const, commandId: '9b2e7c43-8d1f-4a6b-b0c2-5e3f1a7d9c84', ...socket };
  const results: CommandResult[] = [
    { ...base, type: 'CommandAccepted', commandType: 'SendMessage', result: { messageId: alice, conversationId, duplicate: true } },
    { ...base, type: 'CommandAccepted', commandType: 'BlockUser', result: {} },
    { ...base, type: 'CommandRejected', commandType: 'SendMessage', code: 'invalid', message: 'Audio messages are not allowed' },
  ];

  it.each(results.map((result) => [result.type, result] as const))('%s round-trips through JSON', (_type, result) => {
    expect(parseCommandResult(JSON.parse(JSON.stringify(result)))).toEqual({ success: true, data: result });
  });

  it('answers REST commands, which have no socket', () => {
    const { socketId: _socketId, ...rest } = results[2] as CommandResult;
    expect(parseCommandResult(rest)).toEqual({ success: true, data: rest });
  });

  it.each([
    ['another type', { ...results[0], type: 'CommandFailed' }, 'Invalid payload: type: Invalid discriminator value'],
    ['a later version', { ...results[0], version: 2 }, 'Invalid payload: version: expected 1'],
    ['an unknown command type', { ...results[2], commandType: 'SendMessages' }, 'Invalid payload: commandType: Invalid option'],
    ['a rejection without a message', { ...results[2], message: '' }, 'Invalid payload: message: Too small'],
    ['a non-ObjectId message id', { ...results[0], result: { messageId: 'm1' } }, 'Invalid payload: result.messageId: expected a 24-hex-digit ObjectId'],
    ['no gateway', { ...results[0], gatewayId: undefined }, 'Invalid payload: gatewayId: expected string, received undefined'],
  ])('rejects %s', (_name, raw, message) => {
    expect(failure(parseCommandResult(raw))).toContain(message);
  });
});
