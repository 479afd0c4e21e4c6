// node_app.js PORT - the Node.js server of validate-real.sh (http, no framework).
//   /w?cpu_us=C&wait_us=W  burns C microseconds of CPU, measured on the
//   process's CPU clock (process.cpuUsage: user + system; Node 20 has no
//   per-thread clock, and the loop thread is the only busy one), then waits
//   W microseconds without blocking (setTimeout), then answers a small JSON.
'use strict';
const http = require('http');

const port = Number(process.argv[2]);

function cpuNow() {
  const u = process.cpuUsage();
  return u.user + u.system; // microseconds
}

let sink = 0;
function burn(us) {
  if (us <= 0) return;
  const end = cpuNow() + us;
  let x = sink;
  do {
    for (let i = 0; i < 200; i++) x = (x * 1103515245 + 12345) % 2147483648;
  } while (cpuNow() < end);
  sink = x;
}

function reply(res) {
  const body = JSON.stringify({ ok: true, sink: sink & 1 });
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

http
  .createServer((req, res) => {
    const q = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    burn(Number(q.get('cpu_us') || 0));
    const wait = Number(q.get('wait_us') || 0);
    if (wait > 0) setTimeout(reply, wait / 1000, res);
    else reply(res);
  })
  .listen(port, '127.0.0.1', 511);
