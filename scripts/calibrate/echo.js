// echo.js PORT - the upstream of the /io endpoints: echoes every byte back.
'use strict';
require('net')
  .createServer((s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  })
  .listen(Number(process.argv[2]), '127.0.0.1');
