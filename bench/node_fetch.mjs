// bench/node_fetch.mjs - what a Node 20 user would write instead: the
// built-in fetch (undici, keep-alive by default) posting the same body
// with the same headers, N requests in flight, each answer read as JSON
// and checked, for BENCH_SECONDS.
//   node bench/node_fetch.mjs N
// Settings: BENCH_URL, BENCH_BODY, BENCH_KEY, BENCH_AGENT, BENCH_SECONDS
// (see bench/raw_common.h). Prints "<messages> <seconds>".
import { readFileSync } from "node:fs";

const inflight = Number(process.argv[2] || 1);
const url = process.env.BENCH_URL;
const body = readFileSync(process.env.BENCH_BODY, "utf8");
const headers = {
  "api-key": process.env.BENCH_KEY,
  "content-type": "application/json",
  accept: "application/json",
  "user-agent": process.env.BENCH_AGENT,
};
const start = performance.now();
const deadline = start + Number(process.env.BENCH_SECONDS) * 1000;
let count = 0;

async function worker() {
  while (performance.now() < deadline) {
    const res = await fetch(url, { method: "POST", headers, body });
    const answer = await res.json();
    if (res.status !== 202 || answer.code !== "WA202") throw new Error(`HTTP ${res.status}`);
    count++;
  }
}

await Promise.all(Array.from({ length: inflight }, worker));
console.log(`${count} ${((performance.now() - start) / 1000).toFixed(6)}`);
