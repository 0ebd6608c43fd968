import type { AckResponse, ClientEventPayloadInputs, ClientToServerEvents, MessageView, SendMessageAck, ServerToClientEvents, SocketData } from '@chat/contracts';
import { MongoClient, ObjectId } from 'mongodb';
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

/**
 * A reference the end-to-end benchmark holds our figures next to, as a process of its own on
 * loopback (references.ts starts and stops it):
 *   relay  the floor: a bare Socket.IO server relaying each `send:message` to its room;
 *   peer   the seed's own shape: the same, after an insert of the message into FerretDB.
 * The bench clients drive it exactly as they drive the gateway (a token in the handshake,
 * `join:conversation`, `send:message` with an acknowledgement), and `new:message` (to the
 * whole room, the sender's socket included, as the gateway emits it) and `message:sent` carry
 * the gateway's payloads. It keeps no users or conversations and checks nothing the clients do
 * not need: the token's user id is read without verifying it, any conversation may be joined.
 *
 * Run: node reference-server.js relay | peer <mongodb url> <database>; prints `listening on <port>`.
 */

type ReferenceSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<never, never>, SocketData>;
type Store = (message: MessageView) => Promise<void>;

/** A name of a bench user's length: the payload is the size the gateway's is. */
const SENDER_NAME = 'bench reference user';

async function main(): Promise<void> {
  const [kind, mongoUrl, database] = process.argv.slice(2);
  if (kind !== 'relay' && !(kind === 'peer' && mongoUrl && database)) {
    throw new Error('usage: reference-server.js relay | peer <mongodb url> <database>');
  }
  const mongo = kind === 'peer' ? new MongoClient(mongoUrl as string) : undefined;
  const store = mongo && (await messageStore(mongo, database as string));

  const http = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<never, never>, SocketData>(http, { transports: ['websocket'] });
  io.use((socket, next) => {
    const userId = userIdOf(socket.handshake.auth.token);
    if (userId === undefined) return next(new Error('Authentication token required'));
    socket.data.userId = userId;
    next();
  });
  io.on('connection', (socket) => {
    socket.on('join:conversation', ({ conversationId }, ack) => {
      void socket.join(conversationId);
      ack?.({ success: true });
    });
    socket.on('send:message', (payload, ack) => {
      send(io, socket, payload, store).then(
        (answer) => ack?.(answer),
        (err: unknown) => ack?.({ success: false, message: err instanceof Error ? err.message : String(err) }),
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  console.log(`listening on ${typeof address === 'object' && address ? address.port : '?'}`);

  const stop = (): void => {
    void io.close().finally(() => mongo?.close()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The bench holds our stdin: when it ends, however it ended, so does this process.
  process.stdin.once('end', stop).resume();
}

async function messageStore(mongo: MongoClient, database: string): Promise<Store> {
  await mongo.connect();
  const messages = mongo.db(database).collection('messages');
  return async (message) => {
    await messages.insertOne({
      _id: new ObjectId(message._id),
      conversationId: new ObjectId(message.conversationId),
      senderId: new ObjectId(message.senderId._id),
      text: message.text,
      media: message.media,
      messageType: message.messageType,
      status: message.status,
      replyTo: null,
      createdAt: new Date(message.createdAt),
      updatedAt: new Date(message.updatedAt),
    });
  };
}

async function send(
  io: Server<ClientToServerEvents, ServerToClientEvents, Record<never, never>, SocketData>,
  socket: ReferenceSocket,
  payload: ClientEventPayloadInputs['send:message'],
  store: Store | undefined,
): Promise<AckResponse<SendMessageAck>> {
  const { conversationId } = payload;
  const at = new Date().toISOString();
  const message: MessageView = {
    _id: new ObjectId().toHexString(),
    conversationId,
    senderId: { _id: socket.data.userId, name: SENDER_NAME, profileImage: '' },
    text: payload.text ?? null,
    media: [],
    // The bench sends text only.
    messageType: 'text',
    status: 'sent',
    replyTo: null,
    createdAt: at,
    updatedAt: at,
    deleted: false,
  };
  await store?.(message);
  io.to(conversationId).emit('new:message', { message });
  socket.emit('message:sent', { messageId: message._id, conversationId });
  return { success: true, messageId: message._id, conversationId };
}

/** The `sub` claim of a JWT, unverified. */
function userIdOf(token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

main().catch((err: unknown) => {
  console.error('reference server failed:', err);
  process.exit(1);
});
