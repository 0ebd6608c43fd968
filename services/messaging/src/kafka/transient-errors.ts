/**
 * Errors that say "the store is unreachable right now", as opposed to "this command cannot
 * be handled": only the former are worth waiting out, because the next attempt meets the
 * same server in a better mood. Everything else is a bug or a poison command.
 */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: admin/crash shutdown, cannot connect now, too many connections, serialization.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40001',
  '40P01',
]);

export function isTransientError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') return false;
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (transientCodes.has(code) || code.startsWith('08'))) return true;
    if (
      typeof message === 'string' &&
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|UNAVAILABLE|DeadlineExceeded/i.test(message)
    ) {
      return true;
    }
    e = cause;
  }
  return false;
}
