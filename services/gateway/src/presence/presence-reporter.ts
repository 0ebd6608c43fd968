import { type PresenceReport, Topic, presencePartitionKey } from '@chat/contracts';
import { BatchingProducer, reliableProducerConfig } from '@chat/runtime';
import type { Kafka, Producer } from 'kafkajs';

/**
 * Tells the presence service about this gateway's sockets: each connect and disconnect, and
 * a heartbeat that proves the gateway alive. If the process dies, the heartbeats stop and
 * presence disconnects its sockets by itself; a restarted gateway has a new id, so nothing of
 * the old one lingers.
 */
export class PresenceReporter {
  private readonly producer: Producer;
  private readonly batching: BatchingProducer;
  private timer: NodeJS.Timeout | undefined;
  private beats = 0;
  private sockets: () => readonly { userId: string; socketId: string }[] = () => [];

  constructor(
    kafka: Kafka,
    private readonly gatewayId: string,
    private readonly heartbeatMs: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.producer = kafka.producer(reliableProducerConfig());
    this.batching = new BatchingProducer(this.producer);
  }

  /**
   * Every sixth heartbeat also reports every socket this gateway holds again (the reports
   * are idempotent): presence, if it lost track of them (a report it could not read, a
   * sweep while it was catching up), gets them back within half a minute by default.
   */
  resyncFrom(sockets: () => readonly { userId: string; socketId: string }[]): void {
    this.sockets = sockets;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.heartbeat();
    this.timer = setInterval(() => {
      void this.heartbeat();
      if (++this.beats % 6 === 0) for (const { userId, socketId } of this.sockets()) this.connected(userId, socketId);
    }, this.heartbeatMs);
  }

  connected(userId: string, socketId: string): void {
    this.report({ type: 'SocketConnected', version: 1, userId, gatewayId: this.gatewayId, socketId, at: new Date().toISOString() });
  }

  disconnected(userId: string, socketId: string): void {
    this.report({ type: 'SocketDisconnected', version: 1, userId, gatewayId: this.gatewayId, socketId, at: new Date().toISOString() });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.producer.disconnect();
  }

  private async heartbeat(): Promise<void> {
    // Four heartbeats may be lost before the gateway counts as gone.
    await this.send({ type: 'GatewayHeartbeat', version: 1, gatewayId: this.gatewayId, at: new Date().toISOString(), ttlMs: this.heartbeatMs * 4 });
  }

  private report(report: PresenceReport): void {
    void this.send(report);
  }

  private async send(report: PresenceReport): Promise<void> {
    try {
      await this.batching.send(Topic.Presence, [{ key: presencePartitionKey(report), value: JSON.stringify(report) }]);
    } catch (err) {
      // The producer retries by itself; a connect lost after that is sent again with the
      // periodic resync, a disconnect is made good by the grace period and the sweep.
      this.log(`presence report ${report.type} not sent: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
