import { type GatewayNotification, Topic, parseNotification } from '@chat/contracts';
import { JsonTopicConsumer } from '@chat/runtime';
import type { Kafka } from 'kafkajs';
import { RecentKeys } from './recent-keys';

/**
 * The read side's notifications, emitted to this gateway's own sockets. Every gateway reads
 * every partition (a consumer group per gateway process): a room's sockets may sit on any
 * gateway. A copy a restarted projection worker published again carries the same dedupe key
 * and is dropped.
 */
export class NotificationRelay {
  private readonly consumer: JsonTopicConsumer<GatewayNotification>;
  private readonly seen = new RecentKeys(100_000);

  constructor(
    kafka: Kafka,
    gatewayId: string,
    deliver: (notification: GatewayNotification) => void,
    log: (line: string) => void = () => undefined,
  ) {
    // Sockets connect to this process after it starts: what was published before concerns
    // sockets it never had, so a new group starts at the end.
    this.consumer = new JsonTopicConsumer(kafka, {
      groupId: `gateway-notifications-${gatewayId}`,
      topic: Topic.Notifications,
      parse: parseNotification,
      // Read from the live edge at every start: offsets committed would never be read back.
      commitOffsets: false,
      handle: (notification) => {
        const { dedupeKey } = notification;
        if (dedupeKey !== undefined && !this.seen.add(dedupeKey)) return;
        deliver(notification);
      },
      log,
    });
  }

  get ready(): boolean {
    return this.consumer.ready;
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }
}
