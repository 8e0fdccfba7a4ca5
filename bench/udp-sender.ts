/**
 * Load generator process: sends syslog datagrams to HOST:PORT at RATE per second for SECONDS,
 * paced every millisecond, and prints {"sent":n,"elapsedMs":t}. Runs in its own process so the
 * collector is measured, not the sender.
 */
import dgram from 'node:dgram';
import { syslogLine } from './syslog-lines.js';

const [host = '127.0.0.1', portArg = '514', rateArg = '1000', secondsArg = '1', startArg = '0'] = process.argv.slice(2);
const port = Number(portArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const LINE_POOL = 4096;
const pool = Array.from({ length: LINE_POOL }, (_, i) => Buffer.from(syslogLine(i + Number(startArg))));
const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });

const total = Math.round(rate * seconds);
const start = performance.now();
let sent = 0;
let inFlight = 0;

function tick(): void {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
  // Bound unacknowledged sends so a slow receiver queue cannot grow the sender's memory.
  while (sent < due && inFlight < 20_000) {
    inFlight++;
    socket.send(pool[sent % LINE_POOL]!, port, host, () => { inFlight--; });
    sent++;
  }
  // Sleep when caught up: a busy loop here would steal the core the collector is measured on.
  if (sent < total) {
    if (sent < due) setImmediate(tick);
    else setTimeout(tick, 1);
  }
  else {
    const finish = () => {
      if (inFlight > 0) return setImmediate(finish);
      process.stdout.write(JSON.stringify({ sent, elapsedMs: Math.round(performance.now() - start) }) + '\n');
      socket.close();
    };
    finish();
  }
}
tick();
