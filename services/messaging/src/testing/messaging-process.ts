import { ServiceProcess } from '@chat/runtime/testing';

/** The messaging service as its own process; ready once it consumes commands. Health on any free port unless told. */
export function messagingProcess(env: NodeJS.ProcessEnv): ServiceProcess {
  return new ServiceProcess({ service: 'messaging', env: { MESSAGING_PORT: '0', ...env } });
}
