import type { IncomingMessage } from 'node:http';

/**
 * Call when answering a request whose body is refused while it may still be arriving (a file
 * too large, of the wrong type, without a token). The rest of the body is read and dropped,
 * so a client still sending gets to read the answer instead of a reset, and the connection
 * stays usable once the body has ended; a body that does not end within `graceMs` has its
 * connection cut. (Not `Connection: close`: Node closes such a socket as soon as the answer
 * is written, which resets a client that is still sending.)
 */
export function discardRefusedBody(req: IncomingMessage, graceMs = 5_000): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), graceMs);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
