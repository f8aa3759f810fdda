#!/usr/bin/env python3
"""The abuse scenarios of issue 16, against a running tocsin (started by scripts/abuse).

  load.py <scenario> <port> <pid>      scenario: signins | slowloris | junk

Each scenario runs its attack while a "real sender" sends one signal every 200 ms from
127.0.0.1, and prints one JSON line: the attack's answers, the real signals' answers and
latencies, and tocsin's resident memory (VmRSS sampled every 50 ms, and VmHWM, the kernel's
peak). Attackers use other loopback addresses (127.0.1.0 and up; all of 127/8 reaches the
server on Linux), as many different clients would.
"""

import asyncio
import hashlib
import hmac
import json
import sys
import time

HOST = "127.0.0.1"
PD_KEY = "abuse-pd-routing-key-0123456789a"
SENTRY_SECRET = "abuse-sentry-client-secret-7c1e"
SIGNAL_EVERY = 0.2


def attacker_address(n):
    """A distinct loopback address per attacker: 127.0.1.0, 127.0.1.1, ..."""
    n += 256
    return f"127.0.{n // 256}.{n % 256}"


def vm(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


async def read_response(reader):
    """One HTTP/1.1 response: (status, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


def request(method, path, headers, body=b""):
    lines = [f"{method} {path} HTTP/1.1", "Host: tocsin.abuse", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def once(port, method, path, headers, body=b"", source=None):
    """One request on its own connection: (status or error text, seconds)."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(
            HOST, port, local_addr=(source, 0) if source else None
        )
        writer.write(request(method, path, headers + [("Connection", "close")], body))
        await writer.drain()
        status, _ = await read_response(reader)
        writer.close()
        return status, time.perf_counter() - started
    except Exception as error:  # noqa: BLE001 - reported, never hidden
        return f"error: {type(error).__name__}", time.perf_counter() - started


def pd_trigger(n):
    return json.dumps(
        {
            "routing_key": PD_KEY,
            "event_action": "trigger",
            "dedup_key": f"abuse-real-{n}",
            "payload": {"summary": f"real signal {n}", "source": "abuse", "severity": "critical"},
        }
    ).encode()


def sentry_alert(n):
    return json.dumps(
        {
            "action": "triggered",
            "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
            "data": {
                "event": {
                    "issue_id": f"9{n:08d}",
                    "event_id": f"{n:032x}",
                    "title": f"real error {n}",
                    "level": "error",
                    "web_url": "https://sentry.io/x/1/",
                },
                "triggered_rule": "Send to tocsin",
            },
            "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
        }
    ).encode()


def sentry_headers(body, secret):
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return [
        ("Content-Type", "application/json"),
        ("Sentry-Hook-Resource", "event_alert"),
        ("Sentry-Hook-Signature", signature),
        # Sentry's send time: tocsin refuses one more than five minutes off its clock.
        ("Sentry-Hook-Timestamp", str(int(time.time()))),
    ]


class RealSender:
    """Sends one real signal every SIGNAL_EVERY until stopped: PagerDuty events, or signed Sentry
    alerts to the hook the junk goes to."""

    def __init__(self, port, kind):
        self.port, self.kind, self.results = port, kind, []
        self.stopped = asyncio.Event()

    async def run(self):
        n = 0
        while not self.stopped.is_set():
            n += 1
            if self.kind == "pagerduty":
                body = pd_trigger(n)
                headers = [("Content-Type", "application/json")]
                path = "/v2/enqueue"
            else:
                body = sentry_alert(n)
                headers = sentry_headers(body, SENTRY_SECRET)
                path = "/hooks/sentry"
            self.results.append(await once(self.port, "POST", path, headers, body))
            try:
                await asyncio.wait_for(self.stopped.wait(), SIGNAL_EVERY)
            except asyncio.TimeoutError:
                pass

    def summary(self):
        latencies = sorted(seconds for _, seconds in self.results)
        statuses = {}
        for status, _ in self.results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        return {
            "sent": len(self.results),
            "statuses": statuses,
            "all_202_within_1s": all(s == 202 and t < 1.0 for s, t in self.results),
            "latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
            "latency_ms_max": round(latencies[-1] * 1000, 1) if latencies else None,
        }


class Memory:
    def __init__(self, pid):
        self.pid, self.peak_kb, self.stopped = pid, 0, asyncio.Event()

    async def run(self):
        while not self.stopped.is_set():
            self.peak_kb = max(self.peak_kb, vm(self.pid, "VmRSS"))
            try:
                await asyncio.wait_for(self.stopped.wait(), 0.05)
            except asyncio.TimeoutError:
                pass

    def summary(self):
        return {
            "rss_sampled_peak_mb": round(self.peak_kb / 1024, 1),
            "vmhwm_mb": round(vm(self.pid, "VmHWM") / 1024, 1),
            "rss_after_mb": round(vm(self.pid, "VmRSS") / 1024, 1),
        }


def count(statuses):
    counted = {}
    for status in statuses:
        counted[str(status)] = counted.get(str(status), 0) + 1
    return counted


async def signins(port, n=1000):
    """n sign-ins at once, each with a new e-mail, each from its own address."""
    async def one(i):
        body = f"email=new-{i}%40abuse.example&password=not-a-real-password-{i}&next=".encode()
        headers = [("Content-Type", "application/x-www-form-urlencoded")]
        return await once(port, "POST", "/login", headers, body, source=attacker_address(i))

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(i) for i in range(n)))
    seconds = time.perf_counter() - started
    return {
        "sign_ins": n,
        "answers": count(status for status, _ in answers),
        "seconds": round(seconds, 2),
    }


async def slowloris(port, n=500, hold=15.0):
    """n connections that send part of a request's headers, then one more header line every
    second, never the blank line that ends them. Reports how many the server closed and when."""
    closed_after = []

    async def one(i):
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(
                HOST, port, local_addr=(attacker_address(i), 0)
            )
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: tocsin.abuse\r\n")
            await writer.drain()
            deadline = started + hold
            while time.perf_counter() < deadline:
                try:
                    data = await asyncio.wait_for(reader.read(1024), 1.0)
                    if not data:
                        closed_after.append(time.perf_counter() - started)
                        return "closed"
                    return "answered"
                except asyncio.TimeoutError:
                    writer.write(f"X-Slow-{i}: still-coming\r\n".encode())
                    await writer.drain()
            writer.close()
            return "held"
        except (ConnectionError, OSError):
            closed_after.append(time.perf_counter() - started)
            return "closed"

    outcomes = await asyncio.gather(*(one(i) for i in range(n)))
    closed_after.sort()
    return {
        "slow_connections": n,
        "outcomes": count(outcomes),
        "closed_after_s_min": round(closed_after[0], 1) if closed_after else None,
        "closed_after_s_max": round(closed_after[-1], 1) if closed_after else None,
    }


async def junk(port, n=10000, workers=25):
    """n POSTs to /hooks/sentry signed with the wrong secret, over `workers` keep-alive
    connections from their own addresses."""
    statuses = []
    per_worker = n // workers

    async def worker(w):
        reader, writer = await asyncio.open_connection(
            HOST, port, local_addr=(attacker_address(w), 0)
        )
        for i in range(per_worker):
            body = sentry_alert(1_000_000 + w * per_worker + i)
            writer.write(request("POST", "/hooks/sentry", sentry_headers(body, "wrong-secret"), body))
            await writer.drain()
            try:
                status, _ = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                statuses.append("closed")
                reader, writer = await asyncio.open_connection(
                    HOST, port, local_addr=(attacker_address(w), 0)
                )
                continue
            statuses.append(status)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    seconds = time.perf_counter() - started
    return {
        "junk_requests": len(statuses),
        "answers": count(statuses),
        "seconds": round(seconds, 2),
        "per_second": round(len(statuses) / seconds),
    }


async def main():
    scenario, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    attack = {"signins": signins, "slowloris": slowloris, "junk": junk}[scenario]
    sender = RealSender(port, "sentry" if scenario == "junk" else "pagerduty")
    memory = Memory(pid)
    background = [asyncio.create_task(sender.run()), asyncio.create_task(memory.run())]
    await asyncio.sleep(0.5)  # a few real signals before the attack starts
    result = await attack(port)
    await asyncio.sleep(0.5)
    sender.stopped.set()
    memory.stopped.set()
    await asyncio.gather(*background)
    # After the attack: one more real signal must still be accepted.
    if scenario == "junk":
        body = sentry_alert(999_999)
        after = await once(port, "POST", "/hooks/sentry", sentry_headers(body, SENTRY_SECRET), body)
    else:
        after = await once(port, "POST", "/v2/enqueue", [("Content-Type", "application/json")], pd_trigger(999_999))
    print(
        json.dumps(
            {
                "scenario": scenario,
                "attack": result,
                "real_signals": sender.summary(),
                "real_signal_after": {"status": after[0], "ms": round(after[1] * 1000, 1)},
                "memory": memory.summary(),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
