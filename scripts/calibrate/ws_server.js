// ws_server.js PORT - idle WebSockets for calibrate-conn.sh: the `ws`
// package (Debian node-ws) on an http server; GET / answers "ok"; each
// WebSocket is accepted and kept open, nothing sent (no ping).
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2]);
const server = http.createServer((req, res) => res.end('ok'));
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('message', () => {}));
server.listen(port, '127.0.0.1', 511);
