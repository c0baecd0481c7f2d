"""Local-only parts of binsync: the embedded cloud on moto, the Binance emulator, the CLI.

Nothing in this package is deployed to AWS.
"""
