'use strict';
// Keeps the local servers alive for exactly as long as the process that asked for them.
//
//   node supervisor.cjs <plan.json>
//
// The plan names the servers (command, args, env, log file, optional uid/gid, stop signal).
// Each server runs in its own process group, so a stop reaches the whole tree (Kafka's JVM,
// PostgreSQL's backends). The supervisor stops them all, and then exits, when:
//   - it gets SIGTERM, SIGINT or SIGHUP (normal end, Ctrl-C in the terminal);
//   - its stdin closes or its parent disappears (the parent was SIGKILLed or crashed), so a
//     jest run or `npm start` that dies never leaves a server behind.
// It records every pid in the plan's state file, so that the next run can remove leftovers
// if the supervisor itself was SIGKILLed.
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const children = new Map();
let stopping = false;

function writeState() {
  const servers = [...children.values()].map((c) => ({
    name: c.name,
    pid: c.pid,
    exited: c.exited,
    exitCode: c.exitCode,
    signal: c.signal,
    logFile: c.logFile,
    marker: c.marker,
  }));
  const tmp = `${plan.stateFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ supervisorPid: process.pid, parentPid: plan.parentPid, servers }, null, 2));
  fs.renameSync(tmp, plan.stateFile);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

for (const server of plan.servers) {
  const out = fs.openSync(server.logFile, 'a');
  fs.writeSync(out, `\n[supervisor] starting ${server.name} at ${new Date().toISOString()}\n`);
  const child = spawn(server.command, server.args, {
    cwd: server.cwd,
    env: { ...process.env, ...server.env },
    stdio: ['ignore', out, out],
    detached: true,
    uid: server.uid,
    gid: server.gid,
  });
  fs.closeSync(out);
  const entry = {
    name: server.name,
    pid: child.pid,
    logFile: server.logFile,
    marker: server.marker,
    stopSignal: server.stopSignal || 'SIGTERM',
    exited: false,
    exitCode: null,
    signal: null,
  };
  children.set(server.name, entry);
  child.on('error', (err) => {
    fs.appendFileSync(server.logFile, `\n[supervisor] could not start ${server.command}: ${err.message}\n`);
    entry.exited = true;
    writeState();
  });
  child.on('exit', (code, signal) => {
    entry.exited = true;
    entry.exitCode = code;
    entry.signal = signal;
    if (!stopping) {
      fs.appendFileSync(server.logFile, `\n[supervisor] ${server.name} exited (code ${code}, signal ${signal})\n`);
    }
    writeState();
  });
}
writeState();

async function stopAll(reason) {
  if (stopping) return;
  stopping = true;
  const running = [...children.values()].filter((c) => !c.exited && c.pid);
  for (const c of running) signalGroup(c.pid, c.stopSignal);
  const deadline = Date.now() + (plan.stopTimeoutMs || 15000);
  while (Date.now() < deadline && running.some((c) => alive(c.pid))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const c of running) {
    if (alive(c.pid)) {
      fs.appendFileSync(c.logFile, `\n[supervisor] ${c.name} ignored ${c.stopSignal}; killing it\n`);
      signalGroup(c.pid, 'SIGKILL');
    }
  }
  // A process group can outlive its leader (a backend that was mid-query): sweep it too.
  for (const c of running) signalGroup(c.pid, 'SIGKILL');
  writeState();
  process.stderr.write(`[supervisor] stopped ${running.length} server(s): ${reason}\n`);
  process.exit(0);
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => stopAll(sig));
process.stdin.on('end', () => stopAll('parent closed the pipe'));
process.stdin.on('error', () => stopAll('parent pipe error'));
process.stdin.resume();
setInterval(() => {
  if (!alive(plan.parentPid)) stopAll(`parent ${plan.parentPid} is gone`);
}, 500);
