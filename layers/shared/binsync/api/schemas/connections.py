"""Connections: an API key of one Binance account, its status and its sync progress."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from binsync.api.schemas import patterns
from binsync.api.schemas.syncs import CompletenessOut, RunOut

KeyType = Literal["hmac", "rsa", "ed25519"]
SyncMode = Literal["full", "since_last", "incremental"]
API_KEY_PATTERN = patterns.API_KEY


class KeyFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # repr=False: the resolver logs the parsed body at DEBUG; the key must not be in it.
    api_key: str = Field(pattern=API_KEY_PATTERN, repr=False,
                         description="The Binance API key (never returned; responses show its last 4 "
                         "characters as `api_key_hint`).")
    api_secret: SecretStr = Field(min_length=8, max_length=8192,
                                  description="HMAC secret, or the PEM private key for rsa/ed25519 keys. "
                                  "Stored in Secrets Manager, never returned, never logged.")
    key_type: KeyType = "hmac"


class MiningAccount(BaseModel):
    """A Binance pool mining account: no endpoint lists them by key (spec §5.11), so the user
    names them; each is synced (earnings, extra bonuses) with its algorithm's account earnings."""

    model_config = ConfigDict(extra="forbid")

    userName: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                          description="The mining account name (Binance Pool > mining account).")
    algo: str = Field("sha256", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$",
                      description="Its algorithm, as Binance names it (e.g. sha256, ethash).")


# Binance's documentation example key (signed-endpoint examples), never a real one: "Try it out"
# in Swagger UI sends a body of the right shape, and Binance (or the emulator) refuses the key.
CONNECTION_EXAMPLE = {
    "api_key": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    "api_secret": "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    "key_type": "hmac",
    "label": "main account",
    "sync_mode": "full",
    "start_sync": True,
}


class ConnectionCreate(KeyFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": CONNECTION_EXAMPLE})

    label: str = Field("", max_length=100)
    sync_mode: SyncMode = Field("full", description="Mode of the first sync: `full` (since the account "
                                "opened), `since_last` (from the newest stored transaction, e.g. after a "
                                "statement upload) or `incremental`.")
    base_url: str | None = Field(None, max_length=200, examples=["https://api.binance.com"],
                                 description="Binance REST base URL; only "
                                 "https://api.binance.com unless the operator allows others "
                                 "(BINSYNC_ALLOW_BASE_URLS, e.g. the local emulator).")
    start_sync: bool = Field(True, description="Start the first sync right away.")
    mining_accounts: list[MiningAccount] = Field(default_factory=list, max_length=50,
                                                 description="Pool mining accounts to sync (userName, algo).")


class KeysRotate(KeyFields):
    start_sync: bool = Field(True, description="Start an incremental sync once the new key passes.")


class RevalidateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_sync: bool = Field(True, description="Start an incremental sync once the key passes.")


class ConnectionOut(BaseModel):
    connection_id: str
    label: str
    key_type: KeyType
    api_key_hint: str = Field(description="Last 4 characters of the API key.")
    binance_uid: str = Field(description="The Binance account the key reads; keys of the same uid "
                             "are one account (shared transactions and annotations).")
    same_account_as: list[str] = Field(description="Your other connections of the same Binance account.")
    base_url: str
    status: Literal["active", "disabled", "deleting"]
    status_reason: str | None = Field(None, description="Why the connection is disabled, in words the "
                                      "user understands; fix the key, then revalidate.")
    status_changed_at: int | None = None
    permissions: dict[str, Any] = Field(description="The key's apiRestrictions flags, plus `account_info` "
                                        "(product flags) and `account_permissions`.")
    warnings: list[str]
    sync_mode: SyncMode
    mining_accounts: list[MiningAccount] = Field(default_factory=list)
    created_at: int
    last_sync_at: int | None = None
    last_success_at: int | None = None
    current_run: RunOut | None = Field(None, description="The latest sync with live progress.")
    completeness: CompletenessOut | None = Field(None, description="How complete the account's data is, "
                                                 "as of the last finished sync.")


class ConnectionList(BaseModel):
    items: list[ConnectionOut]


class TransactionsImpact(BaseModel):
    deleted: int
    kept_confirmed_by_statement: int
    kept_other_sources: int
    note: str


class AnnotationsImpact(BaseModel):
    count: int
    purged: int
    note: str


class RunsImpact(BaseModel):
    deleted: int


class DeletionReport(BaseModel):
    connection_id: str
    binance_uid: str
    dry_run: bool
    deleted: bool
    secret: str
    same_account_as: list[str]
    transactions: TransactionsImpact
    annotations: AnnotationsImpact
    runs: RunsImpact
