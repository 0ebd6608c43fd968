import { type GatewayNotification, Topic, parseNotification } from '@chat/contracts';
import { latencyConsumerConfig } from '@chat/runtime';
import type { Consumer, Kafka } from 'kafkajs';
import { RecentKeys } from './recent-keys';

/**
 * The read side's notifications, emitted to this gateway's own sockets. Every gateway reads
 * every partition (a consumer group per gateway process): a room's sockets may sit on any
 * gateway. A copy a restarted projection worker published again carries the same dedupe key
 * and is dropped.
 */
export class NotificationRelay {
  private readonly consumer: Consumer;
  private readonly seen = new RecentKeys(100_000);
  private joined = false;

  constructor(
    kafka: Kafka,
    gatewayId: string,
    private readonly deliver: (notification: GatewayNotification) => void,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.consumer = kafka.consumer(latencyConsumerConfig(`gateway-notifications-${gatewayId}`));
  }

  get ready(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      this.log(`notifications consumer crashed: ${String(payload.error)}`);
    });
    // Sockets connect to this process after it starts: what was published before concerns
    // sockets it never had.
    await this.consumer.subscribe({ topic: Topic.Notifications, fromBeginning: false });
    await this.consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (!message.value) continue;
          let raw: unknown;
          try {
            raw = JSON.parse(message.value.toString());
          } catch {
            this.log(`unreadable notification at ${batch.partition}/${message.offset}`);
            continue;
          }
          const parsed = parseNotification(raw);
          if (!parsed.success) {
            this.log(`invalid notification at ${batch.partition}/${message.offset}: ${parsed.message}`);
            continue;
          }
          const { dedupeKey } = parsed.data;
          if (dedupeKey !== undefined && !this.seen.add(dedupeKey)) continue;
          this.deliver(parsed.data);
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
