// node_server.js PORT [UPSTREAM_PORT] - the Node.js server calibrate.sh measures.
//   /           hello world: a small JSON response (http.createServer, no framework)
//   /yield?k=K  the same after K loop turns (await new Promise(setImmediate))
//   /io?k=K     the same after K round trips of 8 bytes to the echo server at
//               UPSTREAM_PORT over a kept-open connection (a stand-in for a
//               database query): write, then a 'data' callback resolves a promise
'use strict';
const http = require('http');
const net = require('net');

const port = Number(process.argv[2]);
const upstreamPort = Number(process.argv[3] || 0);
const PING = Buffer.from('ping...\n');

const idle = []; // open upstream connections not in use
function connectUpstream() {
  return new Promise((resolve, reject) => {
    const s = net.connect(upstreamPort, '127.0.0.1');
    const c = { s, got: 0, waiter: null };
    s.setNoDelay(true);
    s.on('data', (d) => {
      c.got += d.length;
      if (c.got >= PING.length && c.waiter) {
        c.got -= PING.length;
        const w = c.waiter;
        c.waiter = null;
        w();
      }
    });
    s.once('connect', () => resolve(c));
    s.once('error', reject);
  });
}
function roundTrip(c) {
  return new Promise((resolve) => {
    c.waiter = resolve;
    c.s.write(PING);
  });
}

function reply(res) {
  const body = JSON.stringify({ hello: 'world' });
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function param(url) {
  const q = url.indexOf('?k=');
  return q < 0 ? 0 : Number(url.slice(q + 3));
}

async function yieldThen(req, res) {
  const k = param(req.url);
  for (let i = 0; i < k; i++) await new Promise(setImmediate);
  reply(res);
}

async function ioThen(req, res) {
  const k = param(req.url);
  const c = idle.pop() || (await connectUpstream());
  for (let i = 0; i < k; i++) await roundTrip(c);
  idle.push(c);
  reply(res);
}

http
  .createServer((req, res) => {
    if (req.url.startsWith('/yield')) yieldThen(req, res);
    else if (req.url.startsWith('/io')) ioThen(req, res);
    else reply(res);
  })
  .listen(port, '127.0.0.1');
