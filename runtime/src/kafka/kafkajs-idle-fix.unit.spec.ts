import { fixKafkajsIdleLoop, kafkajsRequestQueue } from './kafkajs-idle-fix';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function queue() {
  const RequestQueue = kafkajsRequestQueue();
  return new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:1', logger: quiet });
}

describe('the kafkajs idle loop fix', () => {
  beforeAll(() => expect(fixKafkajsIdleLoop()).toBe(true));

  it('schedules nothing when no request waits and nothing is throttled (kafkajs itself re-armed a timer at once, forever)', () => {
    const idle = queue();
    idle.checkPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks again while a request waits, and when a throttle ends', () => {
    const waiting = queue();
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(waiting.throttleCheckTimeoutId ?? undefined);

    const throttled = queue();
    throttled.throttledUntil = Date.now() + 1_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(throttled.throttleCheckTimeoutId ?? undefined);
  });

  it('sends a waiting request once the check runs', async () => {
    const waiting = queue();
    let checks = 0;
    waiting.checkPendingRequests = () => {
      checks += 1;
    };
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(checks).toBe(1);
    expect(waiting.throttleCheckTimeoutId).toBeNull();
  });
});
