export * from './infrastructure/endpoints';
export * from './infrastructure/readiness';
export * from './infrastructure/docker';
export * from './infrastructure/resolve-infrastructure';
export { type LocalProfile, localPortEnv, dataRoot } from './infrastructure/local/local-servers';
export * from './kafka/kafka';
export * from './event-store';
export * from './kafka/batching-producer';
export { freePort, isPortFree } from './infrastructure/local/ports';
