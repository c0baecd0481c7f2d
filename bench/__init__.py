"""binsync benchmarks (issue 9, DESIGN.md §6): `python -m bench [--long]`, what `make bench` runs.

Modules, one job each:
- `capacity`: the emulator's own capacity, and the time scale N chosen from it.
- `tmin`: the lower bound T_min of DESIGN.md §6 from the requests a run actually made.
- `fullsync`: full sync (and weekly incremental resync) of a generated account through the
  embedded cloud and the real state machine, K egress IPs, against a time-compressed emulator.
- `ccxt_baseline`: the same account's spot fills, deposits and withdrawals through ccxt.
- `statement`: statement parsing throughput and peak memory, binsync vs BittyTax 0.6.0.
- `coldstart`: handler import times and the Lambda layer's installed size.
- `report`: the printed table.
"""
