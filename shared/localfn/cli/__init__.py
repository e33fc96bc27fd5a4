"""The `localfn` command: serve the functions, call them, and check the engines."""

from __future__ import annotations

try:
    import click
    import rich  # noqa: F401  (checked here so a missing extra gets a message, not a traceback)
except ModuleNotFoundError as exc:  # the function image installs localfn without its CLI
    raise SystemExit(f"the localfn command needs {exc.name}: pip install 'localfn[cli]'") from exc

from localfn import __version__
from localfn.cli.client import invoke, send_event
from localfn.cli.inspect import doctor
from localfn.cli.keys import keys
from localfn.cli.models import models
from localfn.cli.serve import serve
from localfn.cli.status import status
from localfn.cli.verify import verify

__all__ = ["kubectl_main", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="localfn")
def main() -> None:
    """Local-LLM capabilities as serverless functions."""


for command in (serve, invoke, send_event, status, doctor, models, keys, verify):
    main.add_command(command)


def kubectl_main() -> None:
    """`kubectl localfn ...`: the same commands as a kubectl plugin, where `doctor` and `status` look at the cluster.

    kubectl runs the executable ``kubectl-localfn`` found on PATH with the words after
    ``localfn``; kubectl's own ``--context``, ``--namespace`` and KUBECONFIG are their options.
    """
    main(prog_name="kubectl localfn", default_map={"doctor": {"cluster": True}, "status": {"cluster": True}})
