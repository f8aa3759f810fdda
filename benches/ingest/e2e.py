#!/usr/bin/env python3
"""Scenario (e): signal -> first delivery to a local webhook sink, idle.

Runs the sink (a tiny HTTP/1.1 server) in a thread of this process and, from the main thread,
sends N PagerDuty triggers one at a time, each with a distinct dedup key and component so each
opens its own incident (whose severity notifies the webhook channel pointing at the sink).
Latency = time the request starts being sent -> time the sink has read the delivery's body,
both from time.perf_counter() in this one process. Prints one JSON line "BENCH_JSON {...}".

usage: e2e.py --tocsin 127.0.0.1:PORT --sink-port PORT --key ROUTING_KEY [-n 200] [--gap 0.05]
"""
import argparse, http.client, json, statistics, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

arrivals = {}
arrived = threading.Condition()


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        at = time.perf_counter()
        try:
            title = json.loads(body)["incident"]["title"]
        except Exception:
            title = None
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
        if title:
            with arrived:
                arrivals.setdefault(title, at)
                arrived.notify_all()

    def log_message(self, *args):
        pass


def pct(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tocsin", required=True)
    ap.add_argument("--sink-port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--gap", type=float, default=0.05, help="idle seconds between signals")
    ap.add_argument("--serve-only", action="store_true")
    a = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", a.sink_port), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if a.serve_only:
        threading.Event().wait()

    host, port = a.tocsin.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    tag = f"e2e{time.time_ns()}"
    lat, ack, missing = [], [], 0
    for n in range(a.n):
        title = f"Bench page {tag}-{n}"
        body = json.dumps({
            "routing_key": a.key, "event_action": "trigger", "dedup_key": f"{tag}-{n}",
            "payload": {"summary": title, "source": f"bench-e2e-{n}", "severity": "critical",
                        "component": f"component-{tag}-{n}"},
        })
        t0 = time.perf_counter()
        conn.request("POST", "/v2/enqueue", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        t1 = time.perf_counter()
        if resp.status != 202:
            print(f"signal {n}: HTTP {resp.status}", file=sys.stderr)
            missing += 1
            continue
        ack.append((t1 - t0) * 1000)
        with arrived:
            ok = arrived.wait_for(lambda: title in arrivals, timeout=5)
        if not ok:
            missing += 1
            continue
        lat.append((arrivals[title] - t0) * 1000)
        time.sleep(a.gap)
    out = {
        "n": a.n, "delivered": len(lat), "missing": missing,
        "p50_ms": round(pct(lat, 50), 3) if lat else None,
        "p99_ms": round(pct(lat, 99), 3) if lat else None,
        "max_ms": round(max(lat), 3) if lat else None,
        "mean_ms": round(statistics.mean(lat), 3) if lat else None,
        "ack_p50_ms": round(pct(ack, 50), 3) if ack else None,
        "ack_p99_ms": round(pct(ack, 99), 3) if ack else None,
    }
    print("BENCH_JSON " + json.dumps(out))
    server.shutdown()


if __name__ == "__main__":
    main()
