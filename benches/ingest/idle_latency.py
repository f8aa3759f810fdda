#!/usr/bin/env python3
"""Where an idle request's time goes: sequential requests over one keep-alive connection, 20 ms
apart (the server's threads park between them, as at 3 a.m.), against a running tocsin started
with the configuration benches/ingest/run.sh writes (its PagerDuty key and heartbeat keys).
Each line: a kind of request and its latency p50 / p90 / p99 as this client sees it, so the rows
compare with each other: /readyz (no database), /healthz (one read on a reader), a heartbeat ping
and PagerDuty triggers (each a commit: one joining an open incident, one opening its own).
usage: idle_latency.py PORT [N]
"""
import http.client
import json
import sys
import time

PD_KEY = "bench-pd-key-0123456789abcdef"


def main():
    port = int(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    conn = http.client.HTTPConnection("127.0.0.1", port)

    def timed(method, path, body=None):
        started = time.perf_counter()
        conn.request(method, path, body=body, headers={"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        return (time.perf_counter() - started) * 1000, response.status

    def trigger(key, source, component=None):
        payload = {"summary": "idle latency", "source": source, "severity": "error"}
        if component:
            payload["component"] = component
        event = {"routing_key": PD_KEY, "event_action": "trigger", "dedup_key": key, "payload": payload}
        return timed("POST", "/v2/enqueue", json.dumps(event))

    kinds = [
        ("/readyz", lambda i: timed("GET", "/readyz")),
        ("/healthz", lambda i: timed("GET", "/healthz")),
        ("ping (a commit)", lambda i: timed("GET", "/ping/bench-heartbeat-key-3")),
        ("trigger joining (a commit)", lambda i: trigger(f"idle-join-{i}", "idle-host")),
        ("trigger opening (a commit)", lambda i: trigger(f"idle-open-{i}", f"idle-{i}", f"c{i}")),
    ]
    for name, send in kinds:
        times = []
        for i in range(n):
            ms, status = send(i)
            if status >= 300:
                sys.exit(f"{name}: HTTP {status}")
            times.append(ms)
            time.sleep(0.02)
        times.sort()
        pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"| {name} | {pick(0.5):.3f} | {pick(0.9):.3f} | {pick(0.99):.3f} |")


if __name__ == "__main__":
    main()
