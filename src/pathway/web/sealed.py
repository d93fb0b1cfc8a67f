"""Small signed cookie values: JSON, base64url, and an HMAC-SHA256 over it (``body.signature``).

Used for what rides between two requests without a database row — the one-time message after a
post (:mod:`pathway.web.flash`) and single sign-on's state, nonce and code verifier
(:mod:`pathway.web.sso`). Signed, not encrypted: they hold nothing personal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def seal(key: bytes, data: dict[str, Any]) -> str:
    """``data`` as a cookie value signed with ``key``."""
    body = base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode().rstrip("=")
    return f"{body}.{_signature(key, body)}"


def unseal(key: bytes, value: str) -> dict[str, Any] | None:
    """The data of a value :func:`seal` made with ``key``; None if unsigned, signed otherwise or malformed."""
    body, _, signature = value.rpartition(".")
    if not body or not hmac.compare_digest(_signature(key, body), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
