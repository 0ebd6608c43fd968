import { dockerStatusFromEnv } from '../infrastructure/docker';
import { describeEventStoreContract } from './event-store.contract';
import { KurrentDbEventStore } from './kurrentdb-event-store';

// EVENTSTORE_URL is set by the global setup when one is configured or Docker started a
// KurrentDB container; without it the contract suite is reported as skipped, with why.
const url = process.env.EVENTSTORE_URL?.trim();
const docker = dockerStatusFromEnv();
const skipReason = url
  ? undefined
  : `EVENTSTORE_URL is not set: no EventStoreDB/KurrentDB configured, and no container (${docker?.reason ?? 'Docker status unknown'})`;

describeEventStoreContract('KurrentDB', async () => new KurrentDbEventStore(url as string), skipReason);
