"""The sync (DESIGN.md §3): start a run, plan it into tasks, fetch each task, finish.

Modules, one job each:
- `start`     creates the run and starts the state machine (one running sync per connection)
- `modes`     where a sync starts: full, since_last, incremental
- `planner`   cuts the work into independent (endpoint, window[, symbol][, variant]) tasks
- `plan`      the Plan step: gathers the planner's inputs, persists tasks, inline or S3 plan
- `markets`   every spot market ever seen (exchangeInfo incl. BREAK, plus removed ones)
- `binance_io` the few direct Binance reads (exchangeInfo, account info, balances, time)
- `tasks`     the task spec, its deterministic id and its checkpoint row
- `fetch`     runs one task: fetch pages, normalise, write idempotently, checkpoint
- `progress`  atomic counters on the run, live progress for the API
- `finish`    counts, coverage, beyond-retention periods, reconciliation, run outcome
- `reconcile` reconstructed spot balances against /api/v3/account
"""
