"""Opaque, signed keyset cursors: (sort, last value, last id), HMAC'd so clients cannot forge them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid

import orjson

from .problems import ProblemError, problem_type


def encode(secret: bytes, sort: str, value: dt.datetime, row_id: uuid.UUID) -> str:
    payload = orjson.dumps([sort, value.isoformat(), str(row_id)])
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + payload).rstrip(b"=").decode()


def decode(secret: bytes, cursor: str, sort: str) -> tuple[dt.datetime, uuid.UUID]:
    bad = ProblemError(400, "invalid cursor; start again without one", type_=problem_type("invalid-cursor"))
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:12], raw[12:]
        if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()[:12]):
            raise bad
        cursor_sort, value, row_id = orjson.loads(payload)
        if cursor_sort != sort:
            raise bad
        return dt.datetime.fromisoformat(value), uuid.UUID(row_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise bad from None
