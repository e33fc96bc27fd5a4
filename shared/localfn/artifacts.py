"""Models trained at build time, shipped as versioned JSON files in ``localfn.assets``.

``make models`` (``python -m localfn.functions.train``) fits them with scikit-learn and
writes them; a function reads its model at start-up with ``load``, in pure Python, so no
function trains at start and the image needs no scikit-learn. Each artifact is a JSON object
with at least:

- ``format``: the layout's version; ``load`` refuses any other than ``FORMAT``;
- ``data_sha256``: ``fingerprint`` of the data it was trained on, so a test notices an
  artifact older than its data (tests/unit/functions/test_shipped_models.py).

Long arrays of floats (idf, coefficients) are ``pack``-ed: base64 of little-endian IEEE 754
doubles, exact, and read about ten times faster than as JSON numbers (reading the classifier
is part of every route-query cold start). Written with ``dump``: keys in the trainer's
order, so training twice writes the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from array import array
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

__all__ = ["FORMAT", "asset", "dump", "fingerprint", "load", "pack", "unpack"]

FORMAT = 1


def asset(*parts: str) -> Traversable:
    """A file under ``localfn.assets`` (in a checkout: assets/)."""
    return resources.files("localfn.assets").joinpath(*parts)


def fingerprint(data: object) -> str:
    """sha256 of JSON-serialisable training data, independent of how its file is laid out."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack(values: Iterable[float]) -> str:
    """Floats as base64 of little-endian doubles."""
    doubles = array("d", values)
    if sys.byteorder == "big":
        doubles.byteswap()
    return base64.b64encode(doubles.tobytes()).decode("ascii")


def unpack(text: str) -> array[float]:
    """The floats ``pack`` packed."""
    doubles = array("d", base64.b64decode(text))
    if sys.byteorder == "big":
        doubles.byteswap()
    return doubles


def dump(artifact: dict[str, Any]) -> str:
    # One value a line, unindented: a retrained model's diff shows what changed, in half the
    # bytes of an indented file (which would also take longer to read at every start).
    return json.dumps(artifact, ensure_ascii=False, indent=0, separators=(",", ":")) + "\n"


def load(*parts: str) -> dict[str, Any]:
    """The artifact at ``assets/<parts>``; ValueError when it is missing or in another format."""
    path = asset(*parts)
    where = "/".join(("assets", *parts))
    if not path.is_file():
        raise ValueError(f"{where} is missing: run `make models` to train it")
    artifact: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if artifact.get("format") != FORMAT:
        raise ValueError(f"{where} has format {artifact.get('format')!r}, this localfn reads {FORMAT}: run `make models` to retrain it")
    return artifact
