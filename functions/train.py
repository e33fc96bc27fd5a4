"""Trains every model the functions ship and writes it into assets/ (``make models``).

    python -m localfn.functions.train

Build time only: it needs scikit-learn (the ``train`` extra, which ``dev`` includes); the
functions read what it writes without it. Run it from a checkout with the editable install
(``make setup-test``), so the files land in assets/, and commit them; training is
deterministic, so an unchanged data set rewrites the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from localfn import artifacts
from localfn.functions.generate_badge import icon_training, icons
from localfn.functions.route_query import classifier, training

__all__ = ["MODELS", "main"]

# Where each artifact goes -> what trains it from the shipped data.
MODELS: dict[tuple[str, ...], Callable[[], dict[str, Any]]] = {
    classifier.ARTIFACT: lambda: training.train(classifier.load_examples()),
    icons.ARTIFACT: lambda: icon_training.train(icons.load_icons()),
}


def main() -> None:
    for parts, train in MODELS.items():
        path = Path(str(artifacts.asset(*parts)))
        path.write_text(artifacts.dump(train()), encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
