"""Reactions to EventBridge triggers: the weekly resync (resync.py) and disable-on-error
(failures.py). Handlers in functions/schedule_resync and functions/on_sync_failed only parse the
event and call these modules.
"""
