import { type GatewayNotification, KafkaHeader, Topic, notificationPartitionKey } from '@chat/contracts';
import { BatchingProducer } from '@chat/runtime';
import type { Producer } from 'kafkajs';

/** Puts notifications on the topic every gateway reads, keyed so one room stays in order. */
export class NotificationPublisher {
  private readonly batching: BatchingProducer;

  constructor(producer: Producer) {
    this.batching = new BatchingProducer(producer);
  }

  async publish(notifications: readonly GatewayNotification[]): Promise<void> {
    if (notifications.length === 0) return;
    await this.batching.send(
      Topic.Notifications,
      notifications.map((n) => ({
        key: notificationPartitionKey(n),
        value: JSON.stringify(n),
        headers: { [KafkaHeader.Type]: n.event },
      })),
    );
  }
}
