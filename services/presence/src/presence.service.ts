import {
  type Command,
  type GatewayNotification,
  type PresenceReport,
  ServerEvent,
  Topic,
  WIRE_ID_LIST_MAX,
  notificationPartitionKey,
  userRoom,
} from '@chat/contracts';
import { ReadModelsProgress, type ReadModelQueries } from '@chat/projections/read-models';
import { FollowUps } from './follow-ups';
import { type BatchingProducer, type GlobalPosition, commandMessage, formatPosition } from '@chat/runtime';
import { randomUUID } from 'node:crypto';
import type { PresenceStore } from './presence-store';

export interface PresenceOptions {
  readonly store: PresenceStore;
  readonly queries: ReadModelQueries;
  readonly producer: BatchingProducer;
  /** This instance's name in command metadata (its answers are not awaited). */
  readonly instanceId: string;
  /**
   * The head of the event store now. What waits for a user who comes online is read from the
   * read models, which are written behind the store: a message appended just before the user
   * came online (found offline at send time) may not show there yet.
   */
  readonly storeHead: () => Promise<GlobalPosition>;
  /** Longest a user's pending deliveries wait for the read models to reach that head. Default 2 s. */
  readonly readModelsWaitMs?: number;
  /** How long a user with no socket left still counts as online: a reload or a second tab makes no flicker. */
  readonly graceMs: number;
  /** A gateway's lifetime without heartbeats when it reported a socket before its first one. */
  readonly defaultGatewayTtlMs: number;
  readonly log: (line: string) => void;
}

/**
 * Presence: turns gateways' socket reports into online/offline transitions (announced to the
 * `user:` rooms of the user's contacts, not to everyone), and marks the messages that waited
 * for a recipient delivered when that recipient comes online. (A recipient online when a
 * message is sent has it marked delivered by the write side, in the message's own append,
 * from the sockets presence records in Redis.) Delivery is a command like any other, so it is
 * decided once and recorded as an event.
 */
export class PresenceService {
  private readonly startedAt = Date.now();
  private readonly followUps: FollowUps;
  /** One look at the read models' checkpoint serves every user coming online at once (a connect storm). */
  private readonly readModels: ReadModelsProgress;
  private offlineDue: (at: number) => void = () => undefined;

  constructor(private readonly options: PresenceOptions) {
    this.readModels = new ReadModelsProgress({ position: () => options.queries.position(), pollMs: 10 });
    // Each follow-up reads a few documents by _id and then waits on Kafka for most of its
    // time: 64 side by side keep up with a connect storm (npm run bench:reads), while the read
    // store sees at most 64 small lookups at once.
    this.followUps = new FollowUps(64, (err) => options.log(`follow-up failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Called with the time a grace period runs out, for the sweep to run then. */
  onOfflineDue(listener: (at: number) => void): void {
    this.offlineDue = listener;
  }

  /** Waits for the announcements and deliveries under way (a clean stop). */
  async drain(): Promise<void> {
    await this.followUps.drain();
  }

  async report(report: PresenceReport): Promise<void> {
    const { store, graceMs, defaultGatewayTtlMs } = this.options;
    switch (report.type) {
      case 'GatewayHeartbeat':
        await store.heartbeat(report.gatewayId, report.ttlMs);
        return;
      case 'SocketConnected': {
        const transition = await store.connect(report.userId, report.gatewayId, report.socketId, defaultGatewayTtlMs);
        if (transition > 0) {
          // The transition is taken in Redis already: a redelivered report would not find it
          // again, so its consequences are retried until they go out, off the reports' path.
          const { userId } = report;
          this.followUps.add(userId, () => this.persist(`announcing ${userId} online`, () => this.announce(userId, ServerEvent.UserOnline, transition)));
          this.followUps.add(userId, () => this.persist(`delivering to ${userId}`, () => this.deliverPending(userId)));
        }
        return;
      }
      case 'SocketDisconnected': {
        const dueAt = Date.now() + graceMs;
        const left = await store.disconnect(report.userId, report.gatewayId, report.socketId, dueAt);
        if (left === 0) this.offlineDue(dueAt);
        return;
      }
    }
  }

  /**
   * Periodic work any instance may do: users whose grace period ran out go offline, and the
   * sockets of gateways whose heartbeats stopped are disconnected (so a dead gateway's users
   * go offline by themselves, and a restarted one, with a new id, leaves no ghosts). Resolves
   * to the time the earliest grace period still running ends, if any.
   */
  async sweep(): Promise<number | undefined> {
    const { store, graceMs } = this.options;
    // Just started (or back after an outage), presence has not yet read the heartbeats the
    // gateways sent meanwhile: a gateway counts as dead only after one full TTL of listening.
    const gatewaysKnown = Date.now() - this.startedAt >= this.options.defaultGatewayTtlMs;
    for (const gateway of gatewaysKnown ? await store.deadGateways() : []) {
      this.options.log(`gateway ${gateway.gatewayId} stopped sending heartbeats; disconnecting its ${gateway.sockets.length} socket(s)`);
      for (const { userId, socketId } of gateway.sockets) await store.disconnect(userId, gateway.gatewayId, socketId, Date.now() + graceMs);
      await store.forgetGateway(gateway.gatewayId, gateway.sockets);
    }
    for (const userId of await store.dueOffline()) {
      const transition = await store.goOffline(userId);
      if (transition > 0) {
        this.followUps.add(userId, () => this.persist(`announcing ${userId} offline`, () => this.announce(userId, ServerEvent.UserOffline, transition)));
      }
    }
    return store.nextOfflineDue();
  }

  /** Retries `work` with backoff for up to a minute, then logs what was given up. */
  private async persist(what: string, work: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (Date.now() > deadline) return this.options.log(`gave up ${what}: ${message}`);
        this.options.log(`${what} failed (attempt ${attempt}), retrying: ${message}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * attempt, 5_000)));
      }
    }
  }

  private async announce(
    userId: string,
    event: typeof ServerEvent.UserOnline | typeof ServerEvent.UserOffline,
    transition: number,
  ): Promise<void> {
    const contacts = await this.options.queries.contactsOf(userId);
    const notifications = contacts.map(
      (contact): GatewayNotification => ({
        type: 'GatewayNotification',
        version: 1,
        target: { room: userRoom(contact) },
        event,
        payload: { userId },
        dedupeKey: `presence:${userId}:${transition}:${contact}`,
      }),
    );
    if (notifications.length === 0) return;
    await this.options.producer.send(
      Topic.Notifications,
      notifications.map((notification) => ({ key: notificationPartitionKey(notification), value: JSON.stringify(notification) })),
    );
  }

  /** Messages that waited for this user to come online. */
  private async deliverPending(userId: string): Promise<void> {
    // This runs after the user's socket is in Redis, which is what the write side asks when a
    // message is sent: a message it found them offline for was appended before the head read
    // here, so once the read models have reached it, the message shows as waiting.
    await this.readModelsReach(await this.options.storeHead());
    const pending = await this.options.queries.undeliveredFor(userId);
    const commands = pending.flatMap(({ conversationId, messageIds }) => this.delivered(conversationId, messageIds, userId));
    if (commands.length > 0) await this.send(commands);
  }

  /** Resolves once the read models show everything up to `head`, or after the bounded wait (then they are read as they are). */
  private async readModelsReach(head: GlobalPosition): Promise<void> {
    if (await this.readModels.reach(head, this.options.readModelsWaitMs ?? 2_000)) return;
    this.options.log(`the read models did not reach ${formatPosition(head)} in time; delivering what they show`);
  }

  /** MarkMessageDelivered for these messages of one conversation, as many commands as the wire's id lists need. */
  private delivered(conversationId: string, messageIds: readonly string[], recipientId: string): Command[] {
    const commands: Command[] = [];
    for (let i = 0; i < messageIds.length; i += WIRE_ID_LIST_MAX) {
      commands.push({
        type: 'MarkMessageDelivered',
        version: 1,
        commandId: randomUUID(),
        data: { conversationId, messageIds: messageIds.slice(i, i + WIRE_ID_LIST_MAX), recipientId },
        metadata: {
          userId: recipientId,
          gatewayId: this.options.instanceId,
          correlationId: randomUUID(),
          issuedAt: new Date().toISOString(),
          unanswered: true,
        },
      });
    }
    return commands;
  }

  private async send(commands: readonly Command[]): Promise<void> {
    await this.options.producer.send(Topic.Commands, commands.map(commandMessage));
  }
}
