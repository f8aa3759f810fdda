#!/usr/bin/env python3
"""A PagerDuty client written with pdpyras, pointed at tocsin instead of events.pagerduty.com.

The integration tests drive it one step at a time: each line on standard input is one command,
and after each call it prints one line, so the test can look at tocsin between steps.

    python3 pagerduty_client.py BASE_URL ROUTING_KEY
    trigger KEY SUMMARY...   -> "ok <dedup_key pdpyras returned>"
    acknowledge KEY          -> "ok <dedup_key>"
    resolve KEY              -> "ok <dedup_key>"
    change SUMMARY...        -> "ok"   (Change Events API, if this pdpyras has it)

A failed call prints "error <what pdpyras raised>" and the script goes on reading, so the test
sees the failure as text instead of a dead pipe.
"""

import sys
import warnings

# pdpyras 5.4 warns on import that it is deprecated; the tests read stdout only, but keep
# stderr quiet so a real failure is not buried under the warning.
warnings.simplefilter("ignore")

import pdpyras  # noqa: E402


def main() -> int:
    base_url, routing_key = sys.argv[1], sys.argv[2]
    events = pdpyras.EventsAPISession(routing_key)
    # The one change from a stock client: the base URL. Every call below is the documented one.
    events.url = base_url
    changes = None
    if hasattr(pdpyras, "ChangeEventsAPISession"):
        changes = pdpyras.ChangeEventsAPISession(routing_key)
        changes.url = base_url

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command, args = words[0], words[1:]
        try:
            if command == "trigger":
                key, summary = args[0], " ".join(args[1:])
                answer = events.trigger(summary, "db-1.prod", dedup_key=key, severity="critical")
            elif command == "acknowledge":
                answer = events.acknowledge(args[0])
            elif command == "resolve":
                answer = events.resolve(args[0])
            elif command == "change":
                if changes is None:
                    print("unsupported", flush=True)
                    continue
                changes.submit(" ".join(args), source="ci")
                answer = ""
            else:
                print(f"error unknown command {command!r}", flush=True)
                continue
        except Exception as error:  # noqa: BLE001 — the test wants whatever pdpyras raised
            print(f"error {type(error).__name__}: {error}", flush=True)
            continue
        print(f"ok {answer}".rstrip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
