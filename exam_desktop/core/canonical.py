"""The one JSON form that is signed, hashed and stored, and the strict reading of untrusted JSON.

Packages, bundles, the journal's hash chain and the answer file all write values through
`canonical_json`, so a value hashed on a seat hashes the same on a grader's machine.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """The one byte form that is signed and hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def strict_json(data: bytes) -> Any:
    """Parse untrusted JSON: UTF-8 only, no duplicate keys, no NaN/Infinity. Raises ValueError."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate key {key!r}")
            out[key] = value
        return out

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not allowed")

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
