#!/usr/bin/env python3
"""Scenario (d): load COUNT open (firing) alerts with distinct fingerprints, BATCH per request,
over one keep-alive connection. --target tocsin posts Alertmanager webhook v4 notifications to
/hooks/<id> (bearer token); --target alertmanager posts arrays to /api/v2/alerts.
Prints "BENCH_JSON {...}" with how many were accepted (2xx) and how long it took."""
import argparse, http.client, json, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--target", choices=["tocsin", "alertmanager"], required=True)
ap.add_argument("--addr", required=True)
ap.add_argument("--count", type=int, default=100_000)
ap.add_argument("--batch", type=int, default=100)
ap.add_argument("--token", default="bench-am-token")
ap.add_argument("--hook", default="/hooks/am")
a = ap.parse_args()

host, port = a.addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=60)
starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
tag = f"rss{time.time_ns()}"
accepted, refused, t0 = 0, 0, time.time()
for b in range(0, a.count, a.batch):
    alerts = []
    for i in range(b, min(b + a.batch, a.count)):
        fp = f"{tag}-{i}"
        labels = {"alertname": "BenchAlert", "instance": fp, "severity": "warning"}
        alert = {"labels": labels, "annotations": {"summary": f"Bench alert {fp}"},
                 "startsAt": starts, "generatorURL": "http://prometheus.local/graph"}
        if a.target == "tocsin":
            alert.update(status="firing", fingerprint=fp, endsAt="0001-01-01T00:00:00Z")
        alerts.append(alert)
    if a.target == "tocsin":
        path = a.hook
        body = {"version": "4", "groupKey": '{}:{alertname="BenchAlert"}', "truncatedAlerts": 0,
                "status": "firing", "receiver": "tocsin", "groupLabels": {"alertname": "BenchAlert"},
                "commonLabels": {"alertname": "BenchAlert"}, "commonAnnotations": {},
                "externalURL": "http://alertmanager.local:9093", "alerts": alerts}
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {a.token}"}
    else:
        path, body, headers = "/api/v2/alerts", alerts, {"Content-Type": "application/json"}
    conn.request("POST", path, json.dumps(body), headers)
    resp = conn.getresponse()
    text = resp.read()
    if 200 <= resp.status < 300:
        accepted += len(alerts)
    else:
        refused += len(alerts)
        print(f"HTTP {resp.status}: {text[:200]!r}", file=sys.stderr)
print("BENCH_JSON " + json.dumps({"accepted": accepted, "refused": refused,
                                  "seconds": round(time.time() - t0, 2)}))
