import { createEventStore } from './create-event-store';
import { KurrentDbEventStore } from './kurrentdb-event-store';

describe('createEventStore', () => {
  it('picks KurrentDB when an EventStoreDB/KurrentDB URL is configured, without touching PostgreSQL', async () => {
    const store = await createEventStore({
      postgresUrl: 'postgres://nobody@127.0.0.1:1/none',
      eventStoreUrl: 'kurrentdb://127.0.0.1:1?tls=false',
    });
    try {
      expect(store).toBeInstanceOf(KurrentDbEventStore);
    } finally {
      await store.close();
    }
  });
});
