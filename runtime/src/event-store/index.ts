export * from './event-store';
export { createEventStore } from './create-event-store';
export { KurrentDbEventStore } from './kurrentdb-event-store';
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';
