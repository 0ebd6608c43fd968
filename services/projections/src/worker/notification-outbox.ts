import type { GatewayNotification } from '@chat/contracts';
import type { Collection, Db } from 'mongodb';

interface OutboxDoc {
  _id: string;
  notifications: GatewayNotification[];
  createdAt: Date;
}

/**
 * Notifications of a batch, stored before the batch's documents are written and removed
 * once they are published. A worker that dies in between publishes them on its next start;
 * re-applying the batch then finds its documents written and adds nothing. Together with the
 * dedupe key on each notification, a client hears of each change once, and never not at all.
 */
export class NotificationOutbox {
  private readonly collection: Collection<OutboxDoc>;

  constructor(db: Db, name = 'notification_outbox') {
    this.collection = db.collection<OutboxDoc>(name);
  }

  async put(batchId: string, notifications: readonly GatewayNotification[]): Promise<void> {
    await this.collection.replaceOne(
      { _id: batchId },
      { notifications: [...notifications], createdAt: new Date() },
      { upsert: true },
    );
  }

  async remove(batchId: string): Promise<void> {
    await this.collection.deleteOne({ _id: batchId });
  }

  /** Whatever a previous run stored and did not get to publish, oldest first. */
  async pending(): Promise<{ batchId: string; notifications: GatewayNotification[] }[]> {
    const docs = await this.collection.find({}).sort({ createdAt: 1 }).toArray();
    return docs.map((d) => ({ batchId: d._id, notifications: d.notifications }));
  }
}
