// conn_server.js PORT [CERT KEY] - the Node.js server of calibrate-conn.sh:
// GET / answers a small JSON (http.createServer, or https.createServer with
// the PEM certificate and key when given; Node's defaults otherwise:
// keep-alive, TLS 1.3).
'use strict';
const fs = require('fs');
const port = Number(process.argv[2]);
function handler(req, res) {
  const body = JSON.stringify({ hello: 'world' });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
const server = process.argv[3]
  ? require('https').createServer(
      { cert: fs.readFileSync(process.argv[3]), key: fs.readFileSync(process.argv[4]) }, handler)
  : require('http').createServer(handler);
server.listen(port, '127.0.0.1', 511);
