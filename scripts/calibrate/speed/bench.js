// bench.js REPS - the Node.js half of calibrate-speed.sh: the same
// application code as bench.py, timed on the process CPU clock
// (process.cpuUsage). Prints one JSON line per benchmark:
// {"bench": NAME, "us_per_op": [one value per repetition]}
'use strict';
const REPS = Number(process.argv[2] || 7);

// a realistic API payload: ~10 KB of nested objects and arrays
function payload() {
  const orders = [];
  for (let i = 0; i < 16; i++) {
    const items = [];
    for (let j = 0; j < 3; j++) {
      items.push({ sku: `SKU-${i}-${j}`, name: `Item number ${j} of order ${i}`,
        qty: (i + j) % 5 + 1, price: Math.round((9.99 + i * 1.5 + j) * 100) / 100,
        tags: ['new', 'sale', 'gift'].slice(0, (i + j) % 3 + 1) });
    }
    orders.push({ id: 100000 + i, status: i % 3 ? 'shipped' : 'pending',
      paid: i % 2 === 0, coupon: null, created: `2026-11-${10 + (i % 18)}T12:34:56Z`,
      customer: { id: 5000 + i, name: `Customer ${i}`, email: `customer${i}@example.com`,
        address: { street: `${i} Main Street`, city: 'Springfield', zip: `${10000 + i}`, country: 'US' } },
      items, total: items.reduce((s, x) => s + x.qty * x.price, 0) });
  }
  return { page: 1, per_page: 16, total: 16, orders };
}
const DATA = payload();
const TEXT = JSON.stringify(DATA);

const LOG = [];
for (let i = 0; i < 200; i++) {
  LOG.push(`10.0.${i % 256}.${(i * 7) % 256} - - [01/Dec/2026:22:${String(i % 60).padStart(2, '0')}:00 +0000] ` +
    `"GET /api/orders/${100000 + i}?page=${i % 9} HTTP/1.1" ${i % 17 ? 200 : 404} ${1000 + i * 13} "-" "curl/8.${i % 9}"`);
}
const LOGTEXT = LOG.join('\n');
const LOGRE = /^(\S+) \S+ \S+ \[([^\]]+)\] "(\w+) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+)/gm;

function escapeHtml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const benches = {
  // encode and decode the ~10 KB payload
  json: () => JSON.parse(JSON.stringify(DATA)).orders.length,
  // render an HTML table of the payload: one template per row, escaped
  template: () => {
    const rows = [];
    for (const o of DATA.orders) {
      for (const it of o.items) {
        rows.push(`<tr><td>${o.id}</td><td>${escapeHtml(o.customer.name)}</td>` +
          `<td>${escapeHtml(it.name)}</td><td>${it.qty}</td><td>${it.price.toFixed(2)}</td></tr>`);
      }
    }
    return `<table>${rows.join('\n')}</table>`.length;
  },
  // parse 200 access-log lines with a regex, count statuses per path prefix
  regex: () => {
    const counts = new Map();
    for (const m of LOGTEXT.matchAll(LOGRE)) {
      const k = m[5] + m[4].split('?')[0].slice(0, 12);
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    return counts.size;
  },
  // pure computation: a sieve of Eratosthenes to 100 000 and a sum loop
  compute: () => {
    const n = 100000, sieve = new Uint8Array(n + 1);
    let count = 0;
    for (let i = 2; i <= n; i++) {
      if (!sieve[i]) { count++; for (let j = i * i; j <= n; j += i) sieve[j] = 1; }
    }
    let s = 0;
    for (let i = 0; i < 200000; i++) s = (s + i * i) % 1000003;
    return count + s;
  },
};

function cpu() { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }

for (const [name, fn] of Object.entries(benches)) {
  // calibrate the batch to ~0.2 s, warm the JIT
  let n = 1, t;
  for (;;) { const t0 = cpu(); for (let i = 0; i < n; i++) fn(); t = cpu() - t0; if (t > 0.2) break; n *= 2; }
  const out = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = cpu();
    for (let i = 0; i < n; i++) fn();
    out.push(((cpu() - t0) / n) * 1e6);
  }
  console.log(JSON.stringify({ bench: name, us_per_op: out, ops: n, bytes: name === 'json' ? TEXT.length : undefined }));
}
