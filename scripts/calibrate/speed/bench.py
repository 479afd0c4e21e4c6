"""bench.py REPS - the CPython half of calibrate-speed.sh: the same
application code as bench.js (standard library only: json, re,
string.Template), timed on the process CPU clock (time.process_time).
Prints one JSON line per benchmark: {"bench": NAME, "us_per_op": [...]}"""
import html
import json
import re
import sys
import time
from string import Template

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 7


def payload():
    orders = []
    for i in range(16):
        items = []
        for j in range(3):
            items.append({"sku": f"SKU-{i}-{j}", "name": f"Item number {j} of order {i}",
                          "qty": (i + j) % 5 + 1, "price": round(9.99 + i * 1.5 + j, 2),
                          "tags": ["new", "sale", "gift"][: (i + j) % 3 + 1]})
        orders.append({"id": 100000 + i, "status": "shipped" if i % 3 else "pending",
                       "paid": i % 2 == 0, "coupon": None,
                       "created": f"2026-11-{10 + i % 18}T12:34:56Z",
                       "customer": {"id": 5000 + i, "name": f"Customer {i}",
                                    "email": f"customer{i}@example.com",
                                    "address": {"street": f"{i} Main Street",
                                                "city": "Springfield",
                                                "zip": f"{10000 + i}", "country": "US"}},
                       "items": items,
                       "total": sum(x["qty"] * x["price"] for x in items)})
    return {"page": 1, "per_page": 16, "total": 16, "orders": orders}


DATA = payload()
TEXT = json.dumps(DATA, separators=(",", ":"))
LOGTEXT = "\n".join(
    f'10.0.{i % 256}.{(i * 7) % 256} - - [01/Dec/2026:22:{i % 60:02d}:00 +0000] '
    f'"GET /api/orders/{100000 + i}?page={i % 9} HTTP/1.1" {404 if i % 17 == 0 else 200} '
    f'{1000 + i * 13} "-" "curl/8.{i % 9}"' for i in range(200))
LOGRE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(\w+) (\S+) HTTP/[\d.]+" (\d{3}) (\d+)', re.M)
ROW = Template("<tr><td>$id</td><td>$customer</td><td>$item</td><td>$qty</td><td>$price</td></tr>")


def b_json():
    # like JSON.stringify: compact separators
    return len(json.loads(json.dumps(DATA, separators=(",", ":")))["orders"])


def b_template():
    rows = []
    for o in DATA["orders"]:
        for it in o["items"]:
            rows.append(ROW.substitute(id=o["id"], customer=html.escape(o["customer"]["name"]),
                                       item=html.escape(it["name"]), qty=it["qty"],
                                       price=f'{it["price"]:.2f}'))
    return len("<table>" + "\n".join(rows) + "</table>")


def b_regex():
    counts = {}
    for m in LOGRE.finditer(LOGTEXT):
        k = m.group(5) + m.group(4).split("?")[0][:12]
        counts[k] = counts.get(k, 0) + 1
    return len(counts)


def b_compute():
    n = 100000
    sieve = bytearray(n + 1)
    count = 0
    for i in range(2, n + 1):
        if not sieve[i]:
            count += 1
            for j in range(i * i, n + 1, i):
                sieve[j] = 1
    s = 0
    for i in range(200000):
        s = (s + i * i) % 1000003
    return count + s


for name, fn in [("json", b_json), ("template", b_template), ("regex", b_regex),
                 ("compute", b_compute)]:
    n = 1
    while True:
        t0 = time.process_time()
        for _ in range(n):
            fn()
        if time.process_time() - t0 > 0.2:
            break
        n *= 2
    out = []
    for _ in range(REPS):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t0) / n * 1e6)
    print(json.dumps({"bench": name, "us_per_op": out, "ops": n,
                      "bytes": len(TEXT) if name == "json" else None}), flush=True)
