"""`python -m bot.healthcheck`: exit 0 when the running bot's /healthz says ready, else 1.

For Docker's HEALTHCHECK (the slim image has no curl): asks 127.0.0.1:HEALTH_PORT (9090 when
unset) and prints one line.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("HEALTH_PORT") or "9090"
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            print(f"ok: {url}")
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        try:
            report = json.loads(exc.read())
        except ValueError:
            report = {}
        broken = [part for part in ("telegram", "database") if not report.get(part, {}).get("ok")]
        broken += [
            f"account {name}"
            for name, account in report.get("accounts", {}).items()
            if not account.get("ok")
        ]
        print(f"unhealthy ({exc.code}): {', '.join(broken) or 'see ' + url}")
    except OSError as exc:
        print(f"unhealthy: {url} not answering ({exc})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
