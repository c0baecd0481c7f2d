"""Measure the emulator's own capacity: `python -m binsync_local.emulator.capacity [--seconds S]`.

Several client threads (each with its own keep-alive session and source address) repeatedly
fetch a full myTrades page (1000 fills, fromId cursor) from a reference account served at time
scale 1 with buckets reset whenever a client sees 429, so the emulator, not Binance's limits,
sets the pace. By default the server runs in its own process (`binsync emulator serve`), as
benchmarks run it; `--in-process` measures an in-process EmulatorServer instead.
Prints one JSON object: requests/s and rows/s per thread count. Benchmarks pick a time scale N
such that the sync's request rate at Binance's limits times N stays below this capacity.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

import requests
from binsync.binance import catalogue
from binsync.binance.client import SourceAddressAdapter

from . import EmulatorServer, generate_account


def _worker(c: dict, symbol: str, source: str, stop: float, out: list[int]) -> None:
    s = requests.Session()
    s.mount("http://", SourceAddressAdapter(source))
    n = 0
    while time.time() < stop:
        q = urlencode({"symbol": symbol, "fromId": 0, "limit": 1000, "timestamp": int(time.time() * 1000)})
        sig = hmac.new(c["api_secret"].encode(), q.encode(), hashlib.sha256).hexdigest()
        r = s.get(
            f"{c['base_url']}/api/v3/myTrades?{q}&signature={sig}", headers={"X-MBX-APIKEY": c["api_key"]}
        )
        if r.status_code == 200:
            n += 1
        elif r.status_code in (429, 418):
            requests.post(f"{c['base_url']}/emulator/reset")
    out.append(n)


def _run(c: dict, symbol: str, seconds: float, threads: tuple[int, ...]) -> list[dict]:
    ep = catalogue.endpoint("spot.my_trades")
    results = []
    for n in threads:
        counts: list[int] = []
        stop = time.time() + seconds
        ts = [
            threading.Thread(target=_worker, args=(c, symbol, f"127.0.0.{2 + i}", stop, counts))
            for i in range(n)
        ]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        rps = sum(counts) / seconds
        results.append(
            {
                "threads": n,
                "requests_per_s": round(rps, 1),
                "rows_per_s": round(rps * 1000),
                "weight_per_s": round(rps * ep.weight),
            }
        )
    return results


def measure(seconds: float = 3.0, threads: tuple[int, ...] = (1, 4, 8), in_process: bool = False) -> dict:
    account = generate_account("reference", 1)
    ep = catalogue.endpoint("spot.my_trades")
    symbol = max(
        {r.part[0] for r in account.records("spot.my_trades")} - account.removed_symbols,
        key=lambda s: sum(1 for r in account.records("spot.my_trades") if r.part == (s,)),
    )
    if in_process:
        with EmulatorServer(account) as srv:
            results = _run(srv.credentials, symbol, seconds, threads)
    else:
        code = "import sys; from binsync_local.cli import main; sys.exit(main(sys.argv[1:]))"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "emulator", "serve", "--profile", "reference", "--seed", "1"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            creds = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            results = _run(creds, symbol, seconds, threads)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    best = max(r["requests_per_s"] for r in results)
    # At time scale N the /api bucket admits limit*N/interval weight per real second per IP.
    per_ip_rps_at_scale_1 = ep.bucket.limit / ep.bucket.interval_s / ep.weight
    return {
        "endpoint": ep.path,
        "page_rows": 1000,
        "seconds": seconds,
        "server": "in-process" if in_process else "subprocess",
        "results": results,
        "max_requests_per_s": best,
        "binance_requests_per_s_per_ip": round(per_ip_rps_at_scale_1, 2),
        "max_time_scale_one_ip": round(best / per_ip_rps_at_scale_1, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--threads", default="1,4,8")
    p.add_argument("--in-process", action="store_true")
    args = p.parse_args()
    threads = tuple(int(x) for x in args.threads.split(","))
    print(json.dumps(measure(args.seconds, threads, args.in_process), indent=2))


if __name__ == "__main__":
    main()
