import type { Message, Producer, TopicMessages } from 'kafkajs';

interface Pending {
  readonly topic: string;
  readonly messages: Message[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for a kafkajs producer. kafkajs sends each `send()` as its own request, and
 * with one request in flight (which keeps a partition's order across retries) a busy
 * producer waits a network round trip per message. Here, whatever is enqueued while a batch
 * is in flight goes out together in the next one: one message alone leaves at once, a
 * thousand arriving together leave in a request or two.
 */
export class BatchingProducer {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly producer: Producer,
    private readonly options: { readonly acks?: number; readonly maxBatch?: number } = {},
  ) {}

  /** Resolves once the broker has the messages (with the configured acks). */
  send(topic: string, messages: Message[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        const byTopic = new Map<string, Message[]>();
        for (const item of batch) {
          const list = byTopic.get(item.topic);
          if (list) list.push(...item.messages);
          else byTopic.set(item.topic, [...item.messages]);
        }
        const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
        try {
          await this.producer.sendBatch({ topicMessages, acks: this.options.acks ?? -1 });
          for (const item of batch) item.resolve();
        } catch (err) {
          for (const item of batch) item.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private take(): Pending[] {
    const max = this.options.maxBatch ?? 2000;
    let count = 0;
    let i = 0;
    while (i < this.queue.length && (i === 0 || count + (this.queue[i]?.messages.length ?? 0) <= max)) {
      count += this.queue[i]?.messages.length ?? 0;
      i++;
    }
    return this.queue.splice(0, i);
  }
}
