"""Binance emulator with a ground-truth account generator (issue 4).

Generate an account, then serve it, write its statement, or ask what a perfect sync must find::

    from binsync_local.emulator import EmulatorServer, generate_account, write_statement

    account = generate_account("small", seed=1)            # "small" | "reference" | "heavy"
    with EmulatorServer(account, time_scale=60) as srv:     # or .start() / .stop()
        srv.base_url        # http://127.0.0.1:<port>, every family on one host (/api /sapi /fapi ...)
        srv.credentials     # {"base_url", "api_key", "api_secret", "uid"} (HMAC key)
        srv.second_key      # another key of the same uid
        srv.add_key("ed25519", public_key_pem=PEM)   # RSA / Ed25519 keys verify base64 signatures
        srv.counters()      # per source IP / uid: requests, weight, 429s, 418s, error codes
    truth = account.truth()
    truth.balances()        # {(asset, wallet): Decimal}, the ledger's sums
    truth.api_ids()         # {endpoint: {transaction ids reachable by the API now}}
    truth.expected_legs()   # {transaction id: legs the normaliser must produce}
    truth.statement_only()  # events only the statement shows
    with open("statement.csv", "w", newline="") as fh:
        write_statement(account, fh)    # Binance "Transaction History" CSV, streamed

`EmulatorServer(account, time_scale=1, faults=None, host="127.0.0.1", port=0)`: `time_scale=N`
(N divides 60) makes a Binance minute last 60/N real seconds for every rate-limit bucket, ban and
Retry-After; server time, windows and retention stay real. `faults=Faults(...)` injects 5xx,
latency, hangs, 429 storms, key revocation / permission changes and clock skew (faults.py).
Admin endpoints (not Binance): GET /emulator/counters, POST /emulator/reset, POST /emulator/clock
{"skew_ms"}, POST /emulator/faults {...}, POST /emulator/keys {"kind", "public_key_pem"},
POST /emulator/keys/<api_key>/revoke, POST /emulator/keys/<api_key>/permissions {flags}.

Every weight, bucket, window, default, page size, parameter name, order and retention horizon is
read from binsync.binance.catalogue; docs/ledger.md defines the records and their legs.
"""

from .account import Account, ApiKey, ApiRecord, Event, Truth
from .faults import Faults
from .generator import PROFILES, generate_account
from .server import EmulatorServer
from .statement import write_statement, write_statement_files

__all__ = [
    "PROFILES",
    "Account",
    "ApiKey",
    "ApiRecord",
    "EmulatorServer",
    "Event",
    "Faults",
    "Truth",
    "generate_account",
    "write_statement",
    "write_statement_files",
]
