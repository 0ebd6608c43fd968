import { getContainerRuntimeClient } from 'testcontainers';

export interface DockerStatus {
  readonly available: boolean;
  /** What answered, or why nothing did: shown when container tests are skipped. */
  readonly reason: string;
}

/** Asks Testcontainers whether a container runtime answers (DOCKER_HOST, the socket, …). */
export async function detectDocker(timeoutMs = 10_000): Promise<DockerStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DockerStatus>((resolve) => {
    timer = setTimeout(
      () => resolve({ available: false, reason: `no container runtime answered within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const probe = getContainerRuntimeClient().then(
    (client): DockerStatus => ({
      available: true,
      reason: `container runtime at ${client.info.containerRuntime.host} (server ${client.info.containerRuntime.serverVersion}, ${client.info.containerRuntime.operatingSystem})`,
    }),
    (err: unknown): DockerStatus => ({
      available: false,
      reason: `no Docker engine answered: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const statusEnv = 'CHAT_DOCKER_STATUS';

/** Passes the detection result from jest's global setup to the test files. */
export function dockerStatusToEnv(status: DockerStatus): Record<string, string> {
  return { [statusEnv]: JSON.stringify(status) };
}

export function dockerStatusFromEnv(env: NodeJS.ProcessEnv = process.env): DockerStatus | undefined {
  const raw = env[statusEnv];
  if (!raw) return undefined;
  const parsed: unknown = JSON.parse(raw);
  if (
    typeof parsed === 'object' &&
    parsed !== null &&
    'available' in parsed &&
    'reason' in parsed &&
    typeof parsed.available === 'boolean' &&
    typeof parsed.reason === 'string'
  ) {
    return { available: parsed.available, reason: parsed.reason };
  }
  throw new Error(`${statusEnv} is malformed: ${raw}`);
}
