#!/usr/bin/env python3
"""Scrapes blackbox_exporter the way Prometheus would: N targets, each probed through
`/probe?module=…&target=…` once every INTERVAL seconds, the N spread evenly over the interval
(target i is due at T0 + i·INTERVAL/N + k·INTERVAL), over keep-alive connections to the exporter
(as Prometheus's scrape client keeps them), with Prometheus's scrape-timeout header.

Only the exporter's CPU is measured; this driver's own is reported by run.sh as harness CPU. It
records how late it sent each request against the schedule (its own share of the lag the
exporter's targets see) and writes a JSON summary, including T0, from which run.sh recomputes the
schedule. Standard library only (asyncio streams), so it runs offline.
"""
import argparse
import asyncio
import json
import signal
import time


def target_for(kind, i, port):
    if kind == "http":
        return f"http://127.0.0.1:{port}/b/{i}"
    return f"{tcp_addr(2, i)}:{port}"


def tcp_addr(tool, i):
    """Monitor i's own loopback address: 127.<tool>.<i / 200>.<i % 200 + 1> (tool 1 = tocsin,
    2 = blackbox_exporter), so the TCP listener's log says who connected for which monitor."""
    return f"127.{tool}.{i // 200}.{i % 200 + 1}"


class Pool:
    """Keep-alive connections to the exporter, reused; a new one is opened when all are busy."""

    def __init__(self, host, port):
        self.host, self.port, self.idle, self.opened = host, port, [], 0

    async def get(self):
        if self.idle:
            return self.idle.pop()
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port)

    def put(self, conn):
        self.idle.append(conn)


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        raise ValueError("response without a length")
    return status, body, headers.get("connection", "").lower() == "close"


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exporter", required=True, help="host:port of blackbox_exporter")
    ap.add_argument("--kind", choices=["http", "tcp"], required=True)
    ap.add_argument("--module", required=True)
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--interval", type=float, required=True)
    ap.add_argument("--scrape-timeout", type=float, default=10.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    host, port = a.exporter.rsplit(":", 1)
    pool = Pool(host, int(port))
    stats = {"sent": 0, "answered": 0, "success": 0, "failed": 0, "errors": 0, "error_samples": []}
    late, took = [], []
    t0 = time.time() + 1.0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    def window_starts():  # SIGUSR1: the measured window begins; the lateness figures restart
        late.clear()
        took.clear()

    loop.add_signal_handler(signal.SIGUSR1, window_starts)

    async def scrape(i, due):
        path = f"/probe?module={a.module}&target={target_for(a.kind, i, a.target_port)}"
        request = (f"GET {path} HTTP/1.1\r\nHost: {a.exporter}\r\nUser-Agent: Prometheus/2.x\r\n"
                   f"Accept: text/plain;version=0.0.4\r\n"
                   f"X-Prometheus-Scrape-Timeout-Seconds: {a.scrape_timeout:g}\r\n\r\n").encode()
        conn = None
        try:
            conn = await pool.get()
            sent_at = time.time()
            late.append(sent_at - due)
            stats["sent"] += 1
            conn[1].write(request)
            status, body, close = await asyncio.wait_for(read_response(conn[0]), a.scrape_timeout + 5)
            took.append(time.time() - sent_at)
            stats["answered"] += 1
            if status == 200 and b"\nprobe_success 1" in body:
                stats["success"] += 1
            else:
                stats["failed"] += 1
                if len(stats["error_samples"]) < 3:
                    stats["error_samples"].append(f"{status}: {body[-300:].decode('latin-1')}")
            if close:
                conn[1].close()
            else:
                pool.put(conn)
        except Exception as err:  # a broken connection is dropped, the next scrape opens another
            stats["errors"] += 1
            if len(stats["error_samples"]) < 3:
                stats["error_samples"].append(repr(err))
            if conn:
                conn[1].close()

    tasks = set()
    k = 0
    while not stop.is_set():
        for i in range(a.n):
            due = t0 + k * a.interval + i * a.interval / a.n
            wait = due - time.time()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                except asyncio.TimeoutError:
                    pass
                if stop.is_set():
                    break
            task = asyncio.ensure_future(scrape(i, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        k += 1
    if tasks:
        await asyncio.wait(tasks, timeout=a.scrape_timeout + 5)
    summary = dict(stats, t0=t0, n=a.n, interval=a.interval, connections_opened=pool.opened,
                   late_ms_p50=pct(late, 50) * 1e3 if late else None,
                   late_ms_p99=pct(late, 99) * 1e3 if late else None,
                   late_ms_max=max(late) * 1e3 if late else None,
                   answer_ms_p50=pct(took, 50) * 1e3 if took else None,
                   answer_ms_p99=pct(took, 99) * 1e3 if took else None)
    with open(a.out, "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    asyncio.run(main())
