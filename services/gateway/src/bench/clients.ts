import type { AckResponse, ConversationView, RestResponse, UserView } from '@chat/contracts';
import { io } from 'socket.io-client';
import { AccessTokens } from '@chat/runtime';
import type { ClientSocket } from '../testing/chat-system';

/** One direct conversation: one socket sends into it, the other receives. Both joined its room. */
export interface Pair {
  readonly conversationId: string;
  readonly sender: ClientSocket;
  readonly recipient: ClientSocket;
}

export interface Credentials {
  readonly jwtSecret: string;
  readonly adminApiKey: string;
}

/**
 * Real clients, set up only through the public API: users through the admin route,
 * conversations through REST, then a websocket per user that joins its conversation.
 */
export class ChatClients {
  private readonly sockets: ClientSocket[] = [];
  private readonly tokens: AccessTokens;
  /** Sockets that dropped during the run, by reason: a drop mid-phase shows as lost messages. */
  readonly disconnects = new Map<string, number>();

  constructor(
    private readonly url: string,
    private readonly credentials: Credentials,
  ) {
    this.tokens = new AccessTokens(credentials.jwtSecret);
  }

  /** `count` pairs, set up a few at a time: the setup is not what is measured. */
  async pairs(count: number, runId: string): Promise<Pair[]> {
    const pairs: Pair[] = [];
    const concurrency = 10;
    for (let first = 0; first < count; first += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, count - first) }, (_, i) => this.pair(`${runId}-${first + i}`));
      pairs.push(...(await Promise.all(batch)));
    }
    return pairs;
  }

  close(): void {
    for (const socket of this.sockets) socket.disconnect();
  }

  private async pair(name: string): Promise<Pair> {
    const [alice, bob] = await Promise.all([this.user(`bench ${name} a`), this.user(`bench ${name} b`)]);
    const conversation = await this.post<ConversationView>('/api/conversations', { participantIds: [bob._id] }, {
      authorization: `Bearer ${this.tokens.sign(alice._id)}`,
    });
    const [sender, recipient] = await Promise.all([this.connect(alice._id), this.connect(bob._id)]);
    await Promise.all([join(sender, conversation._id), join(recipient, conversation._id)]);
    return { conversationId: conversation._id, sender, recipient };
  }

  private user(name: string): Promise<UserView> {
    return this.post<UserView>('/api/users', { name }, { 'x-admin-key': this.credentials.adminApiKey });
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

async function join(socket: ClientSocket, conversationId: string): Promise<void> {
  let answer: AckResponse;
  try {
    answer = await socket.timeout(10_000).emitWithAck('join:conversation', { conversationId });
  } catch {
    throw new Error(`join:conversation ${conversationId}: no answer within 10 s`);
  }
  if (!answer.success) throw new Error(`join:conversation ${conversationId}: ${answer.message}`);
}
