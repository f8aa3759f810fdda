"""Sends N PagerDuty triggers one at a time to tocsin on 127.0.0.1:PORT (benches/callgrind/run.sh)."""
import http.client, json, sys
port, n, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
for i in range(n):
    k = f"{tag}-{i}"
    body = json.dumps({"routing_key": "bench-pd-key-0123456789abcdef", "event_action": "trigger", "dedup_key": k,
                       "payload": {"summary": f"High error rate on checkout {k}", "source": "bench-host-1", "severity": "error"}})
    c.request('POST', '/v2/enqueue', body, {'Content-Type': 'application/json'})
    r = c.getresponse(); r.read()
    assert r.status == 202, r.status
