// A throwaway S3-compatible server for tests: fauxqs (npm, in memory) on 127.0.0.1:<port>.
// Started by local-s3.ts as a child process (fauxqs is an ES module, which Jest's CommonJS
// test runtime cannot load). Prints `ready <port>` once listening; stops when its stdin
// closes (so it never outlives the test process that started it) or on SIGTERM/SIGINT.
import { buildApp } from 'fauxqs';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write(`usage: node fauxqs-s3.mjs <port>\n`);
  process.exit(2);
}

const app = buildApp({ logger: false });
let stopping;
function stop() {
  stopping ??= app.close().finally(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();

try {
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`ready ${port}\n`);
} catch (err) {
  process.stderr.write(`fauxqs could not listen on 127.0.0.1:${port}: ${err?.message ?? err}\n`);
  // 3: the port was taken between choosing and binding it; the parent tries another.
  process.exit(err?.code === 'EADDRINUSE' ? 3 : 1);
}
