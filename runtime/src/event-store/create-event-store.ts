import type { Endpoints } from '../infrastructure/endpoints';
import type { EventStore } from './event-store';
import { KurrentDbEventStore } from './kurrentdb-event-store';
import { PostgresEventStore } from './postgres-event-store';

/**
 * The event store the endpoints point at: KurrentDB/EventStoreDB where one is configured (the
 * Docker stack, a production cluster), otherwise PostgreSQL, whose schema is created or
 * brought up to date before this returns.
 */
export async function createEventStore(
  endpoints: Pick<Endpoints, 'postgresUrl' | 'eventStoreUrl'>,
  /** `migrate: false` for readers that must not change the database (audits under a read-only role). */
  options: { readonly migrate?: boolean } = {},
): Promise<EventStore> {
  if (endpoints.eventStoreUrl !== undefined) return new KurrentDbEventStore(endpoints.eventStoreUrl);
  const store = new PostgresEventStore(endpoints.postgresUrl);
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
