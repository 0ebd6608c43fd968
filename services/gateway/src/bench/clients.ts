import type { AckResponse, ConversationView, RestResponse, UserView } from '@chat/contracts';
import { ObjectId } from 'mongodb';
import { io } from 'socket.io-client';
import { AccessTokens } from '@chat/runtime';
import type { ClientSocket } from '../testing/chat-system';

/**
 * One conversation as the load drives it: one socket sends into it, the others receive (one
 * for a direct conversation, every other member for a group). All of them joined its room.
 */
export interface Route {
  readonly conversationId: string;
  readonly sender: ClientSocket;
  readonly recipients: readonly ClientSocket[];
}

export interface Credentials {
  readonly jwtSecret: string;
  readonly adminApiKey: string;
}

/** Where the clients' users and conversations come from. */
interface Directory {
  user(name: string): Promise<string>;
  /** One other and no name: a direct conversation; otherwise a group with `creator` as admin. */
  conversation(creator: string, others: readonly string[], name?: string): Promise<string>;
}

/**
 * Real clients, set up only through the public API: users through the admin route,
 * conversations through REST, then a websocket per user that joins its conversation.
 * Against a reference server, which keeps neither users nor conversations, the ids are
 * made up here and the rest is the same.
 */
export class ChatClients {
  private readonly sockets: ClientSocket[] = [];
  /** Sockets that dropped during the run, by reason: a drop mid-phase shows as lost messages. */
  readonly disconnects = new Map<string, number>();

  private constructor(
    private readonly url: string,
    private readonly tokens: AccessTokens,
    private readonly directory: Directory,
  ) {}

  static ofSystem(url: string, credentials: Credentials): ChatClients {
    const tokens = new AccessTokens(credentials.jwtSecret);
    return new ChatClients(url, tokens, new RestDirectory(url, tokens, credentials.adminApiKey));
  }

  /** A reference reads the user id from the token without checking it: any key signs it. */
  static ofReference(url: string): ChatClients {
    const madeUp = async (): Promise<string> => new ObjectId().toHexString();
    return new ChatClients(url, new AccessTokens('reference'), { user: madeUp, conversation: madeUp });
  }

  get connected(): number {
    return this.sockets.filter((socket) => socket.connected).length;
  }

  /** `count` direct conversations, set up a few at a time: the setup is not what is measured. */
  pairs(count: number, runId: string): Promise<Route[]> {
    return inBatches(count, (i) => this.pair(`${runId}-${i}`));
  }

  /**
   * One group of `members` users, all online, and a route per member: each sends in turn,
   * so the rate a member may send at bounds no step.
   */
  async group(members: number, name: string): Promise<Route[]> {
    const users = await inBatches(members, (i) => this.directory.user(`${name} ${i}`));
    const [creator, ...others] = users as [string, ...string[]];
    const conversationId = await this.directory.conversation(creator, others, name);
    const sockets = await inBatches(members, async (i) => {
      const socket = await this.connect(users[i] as string);
      await join(socket, conversationId);
      return socket;
    });
    return sockets.map((sender) => ({ conversationId, sender, recipients: sockets.filter((socket) => socket !== sender) }));
  }

  close(): void {
    for (const socket of this.sockets) socket.disconnect();
  }

  private async pair(name: string): Promise<Route> {
    const [alice, bob] = await Promise.all([this.directory.user(`bench ${name} a`), this.directory.user(`bench ${name} b`)]);
    const conversationId = await this.directory.conversation(alice, [bob]);
    const [sender, recipient] = await Promise.all([this.connect(alice), this.connect(bob)]);
    await Promise.all([join(sender, conversationId), join(recipient, conversationId)]);
    return { conversationId, sender, recipients: [recipient] };
  }

  private async connect(userId: string): Promise<ClientSocket> {
    // forceNew: a websocket of its own per user, as separate devices would have.
    const socket: ClientSocket = io(this.url, {
      auth: { token: this.tokens.sign(userId, 24 * 3600) },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    this.sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(new Error(`socket of ${userId} did not connect: ${err.message}`)));
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.disconnects.set(reason, (this.disconnects.get(reason) ?? 0) + 1);
    });
    return socket;
  }
}

class RestDirectory implements Directory {
  constructor(
    private readonly url: string,
    private readonly tokens: AccessTokens,
    private readonly adminApiKey: string,
  ) {}

  async user(name: string): Promise<string> {
    return (await this.post<UserView>('/api/users', { name }, { 'x-admin-key': this.adminApiKey }))._id;
  }

  async conversation(creator: string, others: readonly string[], name?: string): Promise<string> {
    const body = name === undefined ? { participantIds: others } : { participantIds: others, name };
    return (await this.post<ConversationView>('/api/conversations', body, { authorization: `Bearer ${this.tokens.sign(creator)}` }))._id;
  }

  private async post<T>(path: string, body: unknown, headers: Record<string, string>): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as RestResponse<T>;
    if (!answer.success) throw new Error(`POST ${path} answered ${response.status}: ${answer.message}`);
    return answer.data;
  }
}

/** `make(0)` … `make(count - 1)`, ten at a time, in order. */
async function inBatches<T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  const concurrency = 10;
  for (let first = 0; first < count; first += concurrency) {
    made.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - first) }, (_, i) => make(first + i)))));
  }
  return made;
}

async function join(socket: ClientSocket, conversationId: string): Promise<void> {
  let answer: AckResponse;
  try {
    answer = await socket.timeout(10_000).emitWithAck('join:conversation', { conversationId });
  } catch {
    throw new Error(`join:conversation ${conversationId}: no answer within 10 s`);
  }
  if (!answer.success) throw new Error(`join:conversation ${conversationId}: ${answer.message}`);
}
