import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Call before answering a request whose body is refused while it may still be arriving (a
 * file too large, of the wrong type). The rest of the body is read and dropped for a while,
 * so a client still sending sees the answer instead of a reset; then the connection is cut,
 * and it is never reused.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse, graceMs = 5_000): void {
  if (req.complete) return;
  res.setHeader('Connection', 'close');
  req.resume();
  setTimeout(() => req.socket.destroy(), graceMs).unref();
}
