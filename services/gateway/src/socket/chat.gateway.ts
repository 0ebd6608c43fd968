import {
  type AckResponse,
  ClientEvent,
  type ClientEventName,
  type ClientEventPayloads,
  type ClientToServerEvents,
  type CommandMetadata,
  type CommandResult,
  ErrorMessage,
  type ErrorMessageText,
  type GatewayNotification,
  type InterServerEvents,
  ServerEvent,
  type ServerToClientEvents,
  type SocketData,
  conversationRoom,
  parseClientPayload,
  toObjectId,
  userRoom,
} from '@chat/contracts';
import { Inject, Logger } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { SpanKind, inSpan, startSpan } from '@chat/runtime';
import { ObjectId } from 'mongodb';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import { Authenticator } from '../auth/authenticator';
import { CommandBus, CommandTimeoutError } from '../commands/command-bus';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { tokenBucket } from '../config/token-bucket';
import { PresenceReporter } from '../presence/presence-reporter';
import { ConversationAccess } from './conversation-access';
import { ReceiptsAfterSend } from './receipts-after-send';
import { ReadYourWrites } from '../consistency/read-your-writes';

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

function userOf(socket: ChatSocket | undefined): string[] {
  const userId = socket?.data.userId;
  return userId ? [userId] : [];
}

/** The user a `user:` room belongs to; undefined for a conversation room. */
function userOfRoom(room: string): string | undefined {
  return room.startsWith('user:') ? room.slice('user:'.length) : undefined;
}

type Ack = (response: AckResponse<object>) => void;

/** A handler's outcome: what the acknowledgement says; a failure is also the `error` event. */
type Outcome = { readonly ok: true; readonly data?: object } | { readonly ok: false; readonly message: string };

const ok = (data?: object): Outcome => (data ? { ok: true, data } : { ok: true });
const fail = (message: ErrorMessageText | string): Outcome => ({ ok: false, message });

/** What a command's rejection or loss means for the socket that sent it. */
function outcomeOf(result: CommandResult, onAccepted: (result: Extract<CommandResult, { type: 'CommandAccepted' }>) => Outcome): Outcome {
  return result.type === 'CommandAccepted' ? onAccepted(result) : fail(result.message);
}

/**
 * The spec's Socket.IO API. Each client event is schema-checked, authorized where the read
 * model decides (joining, typing), and otherwise turned into a command whose answer comes
 * back from the write side. What the read side pushes arrives through {@link deliver}.
 */
@WebSocketGateway()
export class ChatGateway implements OnGatewayInit<ChatServer>, OnGatewayConnection<ChatSocket>, OnGatewayDisconnect<ChatSocket> {
  @WebSocketServer() server!: ChatServer;
  private readonly logger = new Logger('gateway');
  private readonly limiter: RateLimiterMemory;
  private readonly receipts = new ReceiptsAfterSend<GatewayNotification>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly authenticator: Authenticator,
    private readonly commands: CommandBus,
    private readonly access: ConversationAccess,
    private readonly presence: PresenceReporter,
    private readonly readYourWrites: ReadYourWrites,
  ) {
    this.limiter = tokenBucket(config.socketEventsPerSecond, config.socketEventsBurst);
  }

  afterInit(server: ChatServer): void {
    this.presence.resyncFrom(() =>
      [...server.of('/').sockets.values()].flatMap((socket) => (socket.data.userId ? [{ userId: socket.data.userId, socketId: socket.id }] : [])),
    );
    server.on('conversation:members-changed', (conversationId) => this.access.forget(conversationId));
    server.use((socket, next) => {
      const { auth, headers } = socket.handshake;
      const token: unknown = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
      this.authenticator.authenticate(token, headers.authorization).then(
        (result) => {
          if (!result.ok) return next(new Error(result.message));
          socket.data.userId = result.user._id;
          next();
        },
        (err: unknown) => {
          this.logger.error(`authentication failed: ${err instanceof Error ? err.message : String(err)}`);
          next(new Error(ErrorMessage.InternalError));
        },
      );
    });
  }

  handleConnection(socket: ChatSocket): void {
    void socket.join(userRoom(socket.data.userId));
    this.presence.connected(socket.data.userId, socket.id);
    // A client may emit an event named `error`; without a listener Node's EventEmitter
    // would throw it and take the process down.
    (socket as unknown as NodeJS.EventEmitter).on('error', () => undefined);
    this.on(socket, ClientEvent.JoinConversation, (payload) => this.join(socket, payload));
    this.on(socket, ClientEvent.LeaveConversation, async (payload) => {
      const id = toObjectId(payload.conversationId);
      if (id !== undefined) await socket.leave(conversationRoom(id));
      return ok();
    });
    this.on(socket, ClientEvent.SendMessage, (payload) => this.send(socket, payload));
    this.on(socket, ClientEvent.TypingStart, (payload) => this.typing(socket, payload, ServerEvent.TypingStart));
    this.on(socket, ClientEvent.TypingStop, (payload) => this.typing(socket, payload, ServerEvent.TypingStop));
    this.on(socket, ClientEvent.MessageRead, (payload) => this.markRead(socket, payload));
  }

  handleDisconnect(socket: ChatSocket): void {
    if (socket.data.userId) this.presence.disconnected(socket.data.userId, socket.id);
  }

  /** Emits what the read side (or presence) asked for, to this gateway's own sockets. */
  deliver(notification: GatewayNotification): void {
    if (notification.event === ServerEvent.MessageDelivered && this.receipts.hold(notification.payload.messageId, notification)) return;
    const { target } = notification;
    // The last hop of the trace the notification brought (the client event's, through the write side and projections).
    const { span } = startSpan(`emit ${notification.event}`, { kind: SpanKind.PRODUCER, parent: notification });
    try {
      // Before the emit: a client may ask over REST the moment it hears of something.
      if (notification.position !== undefined) this.readYourWrites.note(this.usersReached(notification), notification.position);
      this.emitLocally(notification, target);
    } finally {
      span.end();
    }
  }

  /** The users of this gateway's sockets that a notification reaches. */
  private usersReached({ target, audience }: GatewayNotification): readonly string[] {
    const sockets = this.server.sockets;
    if (!('room' in target)) return target.gatewayId === this.config.gatewayId ? userOf(sockets.sockets.get(target.socketId)) : [];
    const user = userOfRoom(target.room);
    if (user !== undefined) return [user];
    // Every member, wherever their sockets are: their REST reads may come here.
    if (audience !== undefined) return audience;
    return [...(sockets.adapter.rooms.get(target.room) ?? [])].flatMap((socketId) => userOf(sockets.sockets.get(socketId)));
  }

  private emitLocally(notification: GatewayNotification, target: GatewayNotification['target']): void {
    // The notification schema pairs each event with its own payload; TypeScript cannot carry
    // that pairing through a union into Socket.IO's typed emit.
    const emit = (operator: unknown): void => {
      (operator as { emit: (event: string, payload: unknown) => boolean }).emit(notification.event, notification.payload);
    };
    if ('room' in target) {
      const operator = this.server.local.to(target.room);
      emit(notification.except ? operator.except(notification.except) : operator);
    } else if (target.gatewayId === this.config.gatewayId) {
      emit(this.server.local.to(target.socketId));
    }
  }

  /**
   * A member who left or was removed stops receiving the room's events at once: every socket
   * of theirs, on every gateway (the Redis adapter carries the request), leaves the room.
   */
  evict(userId: string, conversationId: string): void {
    this.access.forget(conversationId);
    this.server.serverSideEmit('conversation:members-changed', conversationId);
    this.server.in(userRoom(userId)).socketsLeave(conversationRoom(conversationId));
  }

  /**
   * One wrapper for every client event: rate limit, payload schema, acknowledgement, and the
   * `error` event for every failure, so no handler can leave a client without an answer or
   * throw into Socket.IO.
   */
  private on<E extends ClientEventName>(
    socket: ChatSocket,
    event: E,
    handle: (payload: ClientEventPayloads[E]) => Promise<Outcome>,
  ): void {
    const failure = this.failureMessage(event);
    (socket as unknown as NodeJS.EventEmitter).on(event, (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
      const answer = (outcome: Outcome): void => {
        if (!outcome.ok) socket.emit(ServerEvent.Error, { message: outcome.message });
        if (!ack) return;
        try {
          ack(outcome.ok ? { success: true, ...outcome.data } : { success: false, message: outcome.message });
        } catch {
          // the client's callback is its own business
        }
      };
      const run = async (): Promise<Outcome> => {
        try {
          // Per user, not per socket: opening more sockets buys no more budget.
          await this.limiter.consume(socket.data.userId);
        } catch {
          return fail(ErrorMessage.TooManyRequests);
        }
        const parsed = parseClientPayload(event, args[0]);
        if (!parsed.success) return fail(parsed.message);
        try {
          return await handle(parsed.data);
        } catch (err) {
          this.logger.error(`${event} from ${socket.data.userId} failed: ${err instanceof Error ? err.message : String(err)}`);
          return fail(failure);
        }
      };
      // One span per client event: the root of the trace that follows it through Kafka, the
      // write side, the projections and back (commands take its context along).
      void inSpan(`socket ${event}`, { kind: SpanKind.SERVER, attributes: { 'chat.user_id': socket.data.userId, 'chat.socket_id': socket.id } }, async (span) => {
        const outcome = await run();
        if (!outcome.ok) span.setAttribute('chat.error', outcome.message);
        return outcome;
      }).then(answer);
    });
  }

  private failureMessage(event: ClientEventName): ErrorMessageText {
    switch (event) {
      case ClientEvent.JoinConversation:
        return ErrorMessage.FailedToJoin;
      case ClientEvent.SendMessage:
        return ErrorMessage.FailedToSend;
      case ClientEvent.MessageRead:
        return ErrorMessage.FailedToMarkRead;
      default:
        return ErrorMessage.InternalError;
    }
  }

  private async join(socket: ChatSocket, payload: ClientEventPayloads['join:conversation']): Promise<Outcome> {
    // Always from the read model itself: a member list remembered from before a removal
    // must not let the removed member back into the room.
    const access = await this.access.check(payload.conversationId, socket.data.userId, { fresh: true });
    if (access === 'not_found') return fail(ErrorMessage.ConversationNotFound);
    if (access === 'not_participant') return fail(ErrorMessage.NotAuthorizedToJoin);
    const id = toObjectId(payload.conversationId) as string;
    await socket.join(conversationRoom(id));
    return ok({ conversationId: id });
  }

  private async typing(
    socket: ChatSocket,
    payload: ClientEventPayloads['typing:start'],
    event: typeof ServerEvent.TypingStart | typeof ServerEvent.TypingStop,
  ): Promise<Outcome> {
    const access = await this.access.check(payload.conversationId, socket.data.userId);
    if (access === 'not_found') return fail(ErrorMessage.ConversationNotFound);
    if (access === 'not_participant') return fail(ErrorMessage.NotAParticipant);
    const id = toObjectId(payload.conversationId) as string;
    // Through the Redis adapter: the room's sockets on every gateway, never the sender's own.
    socket.to(conversationRoom(id)).emit(event, { userId: socket.data.userId, conversationId: id });
    return ok();
  }

  private async send(socket: ChatSocket, payload: ClientEventPayloads['send:message']): Promise<Outcome> {
    const conversationId = toObjectId(payload.conversationId);
    if (conversationId === undefined) return fail(ErrorMessage.ConversationNotFound);
    const metadata = this.commands.metadata({ userId: socket.data.userId, socketId: socket.id });
    const messageId = new ObjectId().toHexString();
    this.receipts.sending(messageId);
    try {
      return await this.sendAs(socket, conversationId, metadata, messageId, payload);
    } finally {
      // After the acknowledgement, which goes out when this call's promise settles.
      const held = this.receipts.answered(messageId);
      if (held.length > 0) setImmediate(() => held.forEach((notification) => this.deliver(notification)));
    }
  }

  private async sendAs(
    socket: ChatSocket,
    conversationId: string,
    metadata: CommandMetadata,
    messageId: string,
    payload: ClientEventPayloads['send:message'],
  ): Promise<Outcome> {
    const result = await this.dispatch(
      {
        type: 'SendMessage',
        version: 1,
        commandId: randomUUID(),
        data: {
          conversationId,
          messageId,
          senderId: socket.data.userId,
          text: payload.text,
          media: payload.media,
          messageType: payload.messageType,
          replyTo: payload.replyTo,
          clientMessageId: payload.clientMessageId,
        },
        metadata,
      },
      ErrorMessage.FailedToSend,
    );
    if ('ok' in result) return result;
    return outcomeOf(result, ({ result: accepted }) => {
      const sent = { messageId: accepted.messageId ?? messageId, conversationId };
      // Accepted means appended to the event store: the message is saved, whatever the read
      // models have shown yet (a REST read waits for them, see ReadYourWrites). A retry with a
      // clientMessageId already used is confirmed with the first message's id.
      socket.emit(ServerEvent.MessageSent, sent);
      return ok(accepted.duplicate ? { ...sent, duplicate: true } : sent);
    });
  }

  private async markRead(socket: ChatSocket, payload: ClientEventPayloads['message:read']): Promise<Outcome> {
    const conversationId = toObjectId(payload.conversationId);
    if (conversationId === undefined) return fail(ErrorMessage.ConversationNotFound);
    const result = await this.dispatch(
      {
        type: 'MarkMessagesRead',
        version: 1,
        commandId: randomUUID(),
        data: { conversationId, readerId: socket.data.userId, messageIds: payload.messageIds },
        metadata: this.commands.metadata({ userId: socket.data.userId, socketId: socket.id }),
      },
      ErrorMessage.FailedToMarkRead,
    );
    if ('ok' in result) return result;
    return outcomeOf(result, () => ok({ conversationId }));
  }

  /** A command's answer, or the event's own failure message when none came. */
  private async dispatch(command: Parameters<CommandBus['dispatch']>[0], failure: ErrorMessageText): Promise<CommandResult | Outcome> {
    try {
      const result = await this.commands.dispatch(command);
      // `internal`: the write side could not handle it; the event's own wording says so.
      if (result.type === 'CommandRejected' && result.code === 'internal') return fail(failure);
      return result;
    } catch (err) {
      if (!(err instanceof CommandTimeoutError)) throw err;
      this.logger.warn(err.message);
      return fail(failure);
    }
  }
}
