"""The values a Helm release was installed with, read from its release Secret.

Helm 3 keeps each revision in a Secret ``sh.helm.release.v1.<release>.v<revision>`` labelled
``owner=helm, name=<release>, status=deployed``; its ``release`` key is the release record as
JSON, gzipped, then base64-encoded (once by Helm, once more as Secret data). The record holds
the chart's own values (``chart.values``) and what the user set (``config``); merged, they are
what `helm get values --all` prints. Only the values leave this module: the record also holds
the rendered manifests, which may carry secrets, and nothing of it is printed.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Release", "decode_release", "helm_secret_selector", "merge_values", "newest"]

GZIP_MAGIC = b"\x1f\x8b"


def helm_secret_selector(release: str) -> str:
    """The label selector of a release's deployed revision."""
    return f"owner=helm,name={release},status=deployed"


@dataclass(frozen=True)
class Release:
    """A deployed release: its name, revision, chart version and merged values."""

    name: str
    revision: int
    chart: str
    values: dict[str, Any]


def merge_values(base: Any, over: Any) -> Any:
    """``over`` merged into ``base`` as Helm merges values: maps key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{key: merge_values(base.get(key), value) for key, value in over.items()}}
    return over


def newest(secrets: list[dict[str, Any]]) -> Release | None:
    """The highest revision among a release's Secrets (as listed by `helm_secret_selector`), or None."""
    releases = [decode_release(secret.get("data") or {}) for secret in secrets]
    return max(releases, key=lambda release: release.revision, default=None)


def decode_release(secret_data: dict[str, str]) -> Release:
    """The `Release` in a Helm release Secret's ``data`` (as the API returns it, base64 values).

    Raises ValueError when the data is not a Helm 3 release record.
    """
    try:
        payload = base64.b64decode(base64.b64decode(secret_data["release"]))
        record = json.loads(gzip.decompress(payload) if payload[:2] == GZIP_MAGIC else payload)
        chart = record["chart"]
        values = merge_values(chart.get("values") or {}, record.get("config") or {})
        return Release(record["name"], int(record["version"]), f"{chart['metadata']['name']}-{chart['metadata']['version']}", values)
    except (KeyError, TypeError, ValueError, OSError) as exc:  # binascii.Error is a ValueError, gzip's BadGzipFile an OSError
        raise ValueError(f"not a Helm 3 release record: {exc!r}") from exc
