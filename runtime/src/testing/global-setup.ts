import { writeFileSync } from 'node:fs';
import { detectDocker, dockerStatusToEnv } from '../infrastructure/docker';
import { type RunningInfrastructure, resolveInfrastructure } from '../infrastructure/resolve-infrastructure';

declare global {
  var __chatInfrastructure: RunningInfrastructure | undefined;
}

export const infrastructureSourcesEnv = 'CHAT_INFRA_SOURCES';

/**
 * Jest global setup of the int and e2e projects: brings up (or finds) every server once for
 * the whole run and hands the addresses to the test workers through their environment.
 * Jest runs a global setup module once however many projects name it.
 */
export default async function globalSetup(): Promise<void> {
  if (globalThis.__chatInfrastructure) return;
  const started = Date.now();
  console.log('\n[infra] resolving infrastructure for the tests (env URLs, else Testcontainers, else local processes)');
  const infrastructure = await resolveInfrastructure({ profile: 'test' });
  globalThis.__chatInfrastructure = infrastructure;
  const docker = infrastructure.docker ?? (await detectDocker());
  Object.assign(process.env, infrastructure.env(), dockerStatusToEnv(docker), {
    [infrastructureSourcesEnv]: JSON.stringify(infrastructure.sources),
  });
  // scripts/test.sh checks afterwards that nothing in this folder is still running.
  const runFile = process.env.CHAT_TEST_RUN_FILE;
  if (runFile && infrastructure.localDataDir) writeFileSync(runFile, infrastructure.localDataDir);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const sources = Object.entries(infrastructure.sources)
    .map(([dependency, source]) => `${dependency}=${source}`)
    .join(' ');
  console.log(`[infra] infrastructure up in ${seconds} s (${sources})`);
  if (!docker.available) console.log(`[infra] Testcontainers tests will be skipped: ${docker.reason}`);
}
