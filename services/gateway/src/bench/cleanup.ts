/**
 * Everything the benchmark started, stopped in reverse order exactly once: at the end, on an
 * error, or on Ctrl-C / SIGTERM. A resource is registered before it starts, so one that
 * fails half-way through starting (a service that never got ready) is stopped too.
 */
export class Cleanup {
  private readonly steps: { readonly name: string; readonly run: () => Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= this.runAll();
    return this.running;
  }

  private async runAll(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await withTimeout(step.run(), 30_000, `stopping ${step.name}`);
      } catch (err) {
        this.log(`stopping ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.steps.length = 0;
  }

  /**
   * Ctrl-C and SIGTERM stop everything before exiting. A signal during resolveInfrastructure
   * (before its stop is registered) is covered by the local servers' supervisor, which ends
   * them when this process ends.
   */
  stopOnSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.log(`${signal}: stopping everything the benchmark started`);
        void this.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      });
    }
  }
}

export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
