"""The printed table: one line per measurement, the targets next to the figures."""

# ruff: noqa: E501  (format strings of a table read better unwrapped)

from __future__ import annotations

from typing import Any


def _f(v: Any, fmt: str = "{:.1f}") -> str:
    return "-" if v is None else fmt.format(v)


def _full_sync_table(w: Any, full: dict[str, Any], title: str) -> None:
    w("")
    w(f"{title} (emulator seconds; Binance minutes = seconds * N / 60). "
      "'measured' = the whole execution incl. Finish's reconciliation; 'stored' = until the Map ended")
    w(f"{'IPs':>4} {'measured s':>11} {'stored s':>9} {'T_min s':>8} {'ratio':>6} {'stored':>7} {'bound':>6} "
      f"{'Binance min':>12} {'T_min min':>10} {'requests':>9} {'weight':>10} {'429s':>5} {'418s':>5} "
      f"{'machine':>8}")
    for k, s in sorted(full.items(), key=lambda kv: int(kv[0])):
        if "error" in s and "duration_s" not in s:
            w(f"{k:>4} error: {s['error']}")
            continue
        note = "" if s.get("status") == "succeeded" else f"  {s.get('status')}"
        w(f"{k:>4} {_f(s['duration_s']):>11} {_f(s.get('history_in_s')):>9} {_f(s['t_min_s'], '{:.1f}'):>8} "
          f"{_f(s['ratio'], '{:.2f}'):>6} {_f(s.get('history_in_ratio'), '{:.2f}'):>7} {s['bound']['binding']:>6} "
          f"{_f(s['binance_minutes']):>12} {_f(s['t_min_binance_minutes']):>10} {s['requests']:>9} "
          f"{s['weight']:>10} {s['http_429']:>5} {s['http_418']:>5} {_f(s.get('machine_share'), '{:.2f}'):>8}{note}")
    floors = {s["bound"].get("window_floor_s") for s in full.values() if "bound" in s}
    w("   target: 32 IPs within 1.3x of T_min; 'machine' = calibration time / T_min (the limits set the pace below ~0.6)")
    w(f"   T_min counts the budget as continuous; Binance's counters reset each minute, so a sync can end up to one "
      f"window earlier (fixed-window floor {', '.join(_f(f, '{:.1f}') for f in sorted(x for x in floors if x))} s): ratios just under 1 are possible")


def render(r: dict[str, Any]) -> str:
    lines = []
    w = lines.append
    cap = r.get("capacity") or {}
    n = r.get("time_scale")
    w(f"binsync benchmarks ({r.get('mode')} mode, profile {r.get('profile')}, seed {r.get('seed')}, "
      f"started {r.get('started_at')}, load avg {r.get('load_avg')})")
    if cap:
        w(f"emulator capacity: {_f(cap.get('max_requests_per_s'))} req/s (1000-row myTrades pages), "
          f"allowing N <= {cap.get('chosen_time_scale')}")
    cal = r.get("calibration") or {}
    if cal:
        w(f"calibration: full sync at N = 60 with {cal.get('ips')} IPs took {_f(cal.get('duration_s'))} s "
          f"(T_min {_f(cal.get('t_min_s'), '{:.1f}')} s, ratio {_f(cal.get('ratio'), '{:.1f}')}): this machine's own time; "
          f"phases {cal.get('phases_s')}")
    if n:
        w(f"time scale N = {n} (a Binance minute lasts {60 / n:g} s): the machine's time is at most 60% of T_min")
    full = r.get("full_sync") or {}
    if full:
        _full_sync_table(w, full, f"1. full sync of {r.get('profile')}")
    heavy = r.get("full_sync_heavy") or {}
    if heavy:
        # `--long`, or a heavy-only run merged in: its entries then carry that run's own `run`
        # (start, load, time scale), which differ from this file's header
        runs = [s["run"] for s in heavy.values() if isinstance(s.get("run"), dict)]
        own = (f" (run started {runs[0].get('started_at')}, load avg {runs[0].get('load_avg')}, "
               f"N = {runs[0].get('time_scale')})") if runs else ""
        _full_sync_table(w, heavy, "1b. full sync of heavy" + own)
        rs = (runs[0].get("resync") if runs else None) or {}
        if rs.get("weight_fraction") is not None:
            w(f"   heavy weekly resync: {rs.get('requests')} requests, weight {rs.get('weight')} = "
              f"{100 * rs['weight_fraction']:.2f}% of the heavy full sync's weight (target < 5%)")
    sub = r.get("subset") or {}
    if sub:
        b, c = sub.get("binsync") or {}, sub.get("ccxt") or {}
        w("")
        w(f"2. plain-client subset (spot fills, deposits, withdrawals) at N = {sub.get('time_scale', n)}: "
          f"binsync {b.get('ips')} IPs {_f(b.get('duration_s'))} s (stored {_f(b.get('history_in_s'))} s; T_min "
          f"{_f(b.get('t_min_s'), '{:.1f}')} s; {b.get('requests')} requests) vs ccxt 1 IP {_f(c.get('duration_s'))} s "
          f"({(c.get('emulator') or {}).get('requests')} requests, {c.get('markets')} markets, "
          f"rateLimit {_f(c.get('rate_limit_ms'), '{:.2f}')} ms/cost) -> ccxt time / binsync time = "
          f"{_f(sub.get('speedup'), '{:.2f}')} (target >= 20)")
    rs = r.get("resync") or {}
    if rs:
        w("")
        w(f"3. weekly incremental resync: {rs.get('requests')} requests, weight {rs.get('weight')} = "
          f"{_f(100 * rs['weight_fraction'] if rs.get('weight_fraction') is not None else None, '{:.2f}')}% "
          f"of the full sync's weight (target < 5%), "
          f"{_f(100 * rs['requests_fraction'] if rs.get('requests_fraction') is not None else None, '{:.2f}')}% "
          f"of its requests, {_f(rs.get('duration_s'))} s")
    st = r.get("statement") or {}
    if st:
        b, t, s = st.get("binsync") or {}, st.get("bittytax") or {}, st.get("binsync_small") or {}
        w("")
        w(f"4. statement parsing, {st['file']['rows']} rows ({st['file']['bytes'] / 2**20:.0f} MiB):")
        w(f"   binsync  {_f(b.get('rows_per_s'), '{:,.0f}')} rows/s, peak RSS {_f(b.get('peak_rss_mib'))} MiB "
          f"(+{_f(b.get('parse_peak_mib'))} MiB for parsing; at {s.get('rows')} rows: {_f(s.get('peak_rss_mib'))} MiB, "
          f"+{_f(s.get('parse_peak_mib'))})")
        if "error" in t:
            w(f"   BittyTax error: {t['error'][-300:]}")
        else:
            w(f"   BittyTax {_f(t.get('rows_per_s'), '{:,.0f}')} rows/s, peak RSS {_f(t.get('peak_rss_mib'))} MiB "
              f"(+{_f(t.get('parse_peak_mib'))} MiB for parsing)")
        w(f"   ratio {_f(st.get('speed_ratio'), '{:.2f}')}x (target >= 3x); binsync peak RSS full/tenth of the file "
          f"{_f(st.get('memory_growth'), '{:.2f}')}x, +{_f(st.get('memory_growth_mib'))} MiB (flat = ~1x)")
    cs = r.get("coldstart") or {}
    if cs:
        w("")
        w("5. Lambda cold start (import of the handler module, median, ms):")
        w("   " + ", ".join(f"{k} {_f(v.get('median_ms'), '{:.0f}')}" if "median_ms" in v else f"{k} error"
                           for k, v in cs["imports"].items()))
        lay = cs.get("layer") or {}
        if lay:
            w(f"   layer: {_f(lay.get('mib'))} MiB installed (dependencies {_f(lay.get('dependencies_mib'))}, "
              f"binsync {_f(lay.get('binsync_mib'), '{:.2f}')}), limit 250 MiB unzipped"
              if "mib" in lay else f"   layer: error {lay.get('error')}")
    if r.get("shared_ips"):
        from bench import shared_ips

        lines.extend(shared_ips.render(r["shared_ips"]))
    if r.get("cost"):
        from bench import cost

        lines.extend(cost.render(r["cost"]))
    if r.get("faults"):
        from bench.faults import Row, table

        w("")
        w("6. Fault suite (0 lost and 0 duplicated for every fault):")
        rows = [Row(**{k: v for k, v in row.items() if k in Row.__dataclass_fields__}) for row in r["faults"]]
        lines.extend("   " + line for line in table(rows).splitlines())
    return "\n".join(lines)
