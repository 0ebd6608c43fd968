import type { Producer, ProducerBatch } from 'kafkajs';
import { BatchingProducer } from './batching-producer';

/** A stand-in for the broker: records each request and lets the test decide when it returns. */
function fakeProducer() {
  const requests: ProducerBatch[] = [];
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      requests.push(batch);
      return new Promise((resolve, reject) => pending.push({ resolve: () => resolve([]), reject }));
    },
  } as unknown as Producer;
  return { producer, requests, pending };
}

const values = (batch: ProducerBatch | undefined): string[] =>
  (batch?.topicMessages ?? []).flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.value)}`));

describe('BatchingProducer', () => {
  it('sends a lone message at once, and everything queued meanwhile in one next request, in order', async () => {
    const { producer, requests, pending } = fakeProducer();
    const batching = new BatchingProducer(producer);

    const first = batching.send('a', [{ value: '1' }]);
    const second = batching.send('a', [{ value: '2' }]);
    const third = batching.send('b', [{ value: '3' }, { value: '4' }]);
    const fourth = batching.send('a', [{ value: '5' }]);
    expect(values(requests[0])).toEqual(['a:1']);
    expect(requests).toHaveLength(1);

    pending[0]?.resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(requests).toHaveLength(2);
    expect(values(requests[1])).toEqual(['a:2', 'a:5', 'b:3', 'b:4']);
    pending[1]?.resolve();
    await Promise.all([second, third, fourth]);
  });

  it('fails exactly the sends of a failed request, and keeps going', async () => {
    const { producer, requests, pending } = fakeProducer();
    const batching = new BatchingProducer(producer);
    const lost = batching.send('a', [{ value: '1' }]);
    pending[0]?.reject(new Error('broker down'));
    await expect(lost).rejects.toThrow('broker down');

    const next = batching.send('a', [{ value: '2' }]);
    await new Promise((r) => setImmediate(r));
    pending[1]?.resolve();
    await expect(next).resolves.toBeUndefined();
    expect(requests.map(values)).toEqual([['a:1'], ['a:2']]);
  });

  it('caps a request at maxBatch messages', async () => {
    const { producer, requests, pending } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 2 });
    const sends = [batching.send('a', [{ value: '0' }]), ...[1, 2, 3].map((n) => batching.send('a', [{ value: String(n) }]))];
    for (let i = 0; i < 3; i++) {
      pending[i]?.resolve();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(sends);
    expect(requests.map(values)).toEqual([['a:0'], ['a:1', 'a:2'], ['a:3']]);
  });
});
