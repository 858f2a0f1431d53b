"""Opaque, signed keyset cursors: (sort, last value, last id), HMAC'd so clients cannot forge them.

The case list keys on (sort column, id); the lists under one case (``encode_key``/``decode_key``) on
their own ordering columns, with a scope naming the list and the case, so a cursor only continues the
list it came from.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid
from typing import Any

import orjson

from .problems import ProblemError, problem_type


def _invalid() -> ProblemError:
    return ProblemError(400, "invalid cursor; start again without one", type_=problem_type("invalid-cursor"))


def _sign(secret: bytes, payload: bytes) -> str:
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + payload).rstrip(b"=").decode()


def _verified(secret: bytes, cursor: str) -> Any:
    """The payload of a cursor this service signed; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()[:12]):
            raise _invalid()
        return orjson.loads(payload)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise _invalid() from None


def encode(secret: bytes, sort: str, value: dt.datetime, row_id: uuid.UUID) -> str:
    return _sign(secret, orjson.dumps([sort, value.isoformat(), str(row_id)]))


def decode(secret: bytes, cursor: str, sort: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        cursor_sort, value, row_id = _verified(secret, cursor)
        if cursor_sort != sort:
            raise _invalid()
        return dt.datetime.fromisoformat(value), uuid.UUID(row_id)
    except (ValueError, TypeError):
        raise _invalid() from None


def encode_key(secret: bytes, scope: str, key: list[str | int]) -> str:
    """A cursor after the row whose ordering key is ``key`` (strings and integers), within ``scope``."""
    return _sign(secret, orjson.dumps([scope, *key]))


def decode_key(secret: bytes, cursor: str, scope: str, size: int) -> list[str | int]:
    """The key ``encode_key`` signed for ``scope``; 400 for a cursor of another list or case."""
    payload = _verified(secret, cursor)
    if not isinstance(payload, list) or len(payload) != size + 1 or payload[0] != scope:
        raise _invalid()
    key: list[str | int] = payload[1:]
    if not all(isinstance(part, str | int) for part in key):
        raise _invalid()
    return key
