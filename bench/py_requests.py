"""bench/py_requests.py - what a Python user would write instead: one
requests.Session (keep-alive) posting the same body with the same headers,
one request at a time, each answer decoded and checked, for BENCH_SECONDS.

Run with Debian's /usr/bin/python3 (python3-requests). Settings: BENCH_URL,
BENCH_BODY, BENCH_KEY, BENCH_AGENT, BENCH_SECONDS, BENCH_COUNT (see
bench/raw_common.h).
Prints "<messages> <seconds>".
"""
import os
import time

import requests

url = os.environ["BENCH_URL"]
with open(os.environ["BENCH_BODY"], "rb") as f:
    body = f.read()
session = requests.Session()
session.headers.update({
    "api-key": os.environ["BENCH_KEY"],
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": os.environ["BENCH_AGENT"],
})
limit = int(os.environ.get("BENCH_COUNT") or 0)
start = time.monotonic()
deadline = start + float(os.environ.get("BENCH_SECONDS") or 0)
count = 0
while (count < limit) if limit > 0 else (time.monotonic() < deadline):
    r = session.post(url, data=body)
    if r.status_code != 202 or r.json()["code"] != "WA202":
        raise SystemExit(f"HTTP {r.status_code}")
    count += 1
print(count, f"{time.monotonic() - start:.6f}")
