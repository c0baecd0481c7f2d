"""Shared egress addresses: 32 workers over 4 loopback addresses, and 32 over 1.

Lambdas outside a VPC leave from a shared pool of addresses, so concurrent workers of one sync
(and of other syncs) may share an address that Binance counts as one. Here the local cloud leases
32 concurrent workers over K addresses (`LocalCloud(egress_ips=K, egress_workers=32)`); each worker
is its own execution environment with its own rate limiter, as separate Lambdas are, so workers on
one address learn what their neighbours spent only from the used-weight headers Binance returns.

Reported per scenario: the time against T_min computed for the K distinct addresses (not for 32),
and the 429s and 418s the emulator itself answered (its counters, not the client's).
"""

from __future__ import annotations

from typing import Any

from bench import fullsync

SCENARIOS: tuple[tuple[int, int], ...] = ((4, 32), (1, 32))  # (distinct addresses, workers)


def run_shared_ips(account: Any, *, time_scale: float,
                   scenarios: tuple[tuple[int, int], ...] = SCENARIOS) -> dict[str, Any]:
    out: dict[str, Any] = {"time_scale": time_scale, "scenarios": {}}
    for addresses, workers in scenarios:
        key = f"{workers}x{addresses}"
        try:
            synced = fullsync.sync_account(account, ips=addresses, workers=workers, time_scale=time_scale)
        except Exception as exc:  # a failed scenario is a result to report
            out["scenarios"][key] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        full = synced["full"]
        emulator = full.get("emulator") or {}
        out["scenarios"][key] = {
            "addresses": addresses,
            "workers": workers,
            "status": full["status"],
            "duration_s": full["duration_s"],
            # history stored (the fetch phase) apart from the whole run: on a loaded machine the
            # Finish stage's CPU (reconciliation) grows the total, not the pacing
            "history_in_s": full.get("history_in_s"),
            "history_in_ratio": full.get("history_in_ratio"),
            "phases_s": full.get("phases_s"),
            "t_min_s": full["t_min_s"],                 # for `addresses` distinct IPs
            "binding": full["bound"]["binding"],
            "ratio": full["ratio"],
            "requests": full["requests"],
            "records": full["records"],
            "emulator_ips": emulator.get("ips"),
            "http_429": emulator.get("http_429", full["http_429"]),
            "http_418": emulator.get("http_418", full["http_418"]),
            "client_429": full["http_429"],
            "client_418": full["http_418"],
            "execution": full.get("execution"),
        }
    return out


def render(section: dict[str, Any]) -> list[str]:
    lines = ["", f"Shared egress addresses (time scale {section.get('time_scale')}):",
             "| workers x addresses | status | measured | stored | T_min (K = addresses) | ratio | "
             "requests | 429s | 418s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, s in section.get("scenarios", {}).items():
        if "error" in s:
            lines.append(f"| {key} | error: {s['error']} | | | | | | | |")
            continue
        ratio = f"{s['ratio']:.2f}" if s.get("ratio") else "-"
        dur = f"{s['duration_s']:.1f} s" if s.get("duration_s") else "-"
        stored = f"{s['history_in_s']:.1f} s" if s.get("history_in_s") else "-"
        lines.append(f"| {key} | {s.get('status')} | {dur} | {stored} | {s['t_min_s']:.1f} s "
                     f"({s['binding']}) | {ratio} | {s['requests']:,} | {s['http_429']} | {s['http_418']} |")
    return lines


if __name__ == "__main__":  # python -m bench.shared_ips [profile] [time scale]
    import json
    import sys

    from binsync_local.emulator import generate_account

    profile = sys.argv[1] if len(sys.argv) > 1 else "small"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    result = run_shared_ips(generate_account(profile, 42), time_scale=n)
    print(json.dumps(result, indent=2, default=str))
    print("\n".join(render(result)))
