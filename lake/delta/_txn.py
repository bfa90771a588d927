"""Delta application transactions (``txn`` actions): several per commit, idempotency checks."""

from __future__ import annotations

from collections.abc import Sequence

from deltalake import DeltaTable

from lake.delta.errors import InvalidWriteError

__all__ = ["AppTransactions", "all_done", "transaction_list"]

AppTransactions = Sequence[tuple[str, int]]


def transaction_list(
    uri: str, app_id: str | None, app_version: int | None, app_transactions: AppTransactions | None
) -> list[tuple[str, int]]:
    """``app_id``/``app_version`` and ``app_transactions`` as one checked list (no app id twice)."""
    if (app_id is None) != (app_version is None):
        raise InvalidWriteError(uri, "app_id and app_version go together")
    txns = [(app_id, app_version)] if app_id is not None and app_version is not None else []
    for item in app_transactions or ():
        if (not isinstance(item, tuple | list) or len(item) != 2 or not isinstance(item[0], str) or not item[0]
                or not isinstance(item[1], int) or isinstance(item[1], bool) or item[1] < 0):
            raise InvalidWriteError(uri, f"app transaction {item!r}: expected (app id, version ≥ 0)")
        txns.append((item[0], int(item[1])))
    ids = [app for app, _ in txns]
    if len(set(ids)) != len(ids):
        raise InvalidWriteError(uri, f"an app id appears twice among the transactions {ids}")
    return txns


def all_done(dt: DeltaTable, txns: AppTransactions) -> bool:
    """True when every app id already committed a version ≥ the one given (an idempotent no-op)."""
    if not txns:
        return False
    for app_id, version in txns:
        done = dt.transaction_version(app_id)
        if done is None or done < version:
            return False
    return True
