/** Jest global teardown: stops what the global setup started, whether the tests passed or not. */
export default async function globalTeardown(): Promise<void> {
  const infrastructure = globalThis.__chatInfrastructure;
  if (!infrastructure) return;
  globalThis.__chatInfrastructure = undefined;
  const started = Date.now();
  await infrastructure.stop();
  console.log(`[infra] infrastructure stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
