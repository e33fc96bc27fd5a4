"""`localfn doctor --cluster`: the release's health on a Kubernetes cluster, one line per check.

Options follow kubectl (``--context``, ``--namespace``/``-n``, ``--kubeconfig``/KUBECONFIG), so
`kubectl localfn doctor --cluster` behaves as kubectl users expect. The release's values come from
its Helm release Secret; ``--values`` (the output of `helm get values RELEASE --all -o yaml`)
replaces them where Secrets may not be read. Nothing of the Secret but the values is kept or shown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from localfn.cli.tables import wrapping_table
from localfn.operate.checks import Check, Status, fail, failed, ok, to_json

__all__ = ["cluster_options", "connect", "kube_options", "run_cluster_doctor"]

console = Console(soft_wrap=True)
COLOURS = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "red"}


def _apply(command: Any, options: tuple[Any, ...]) -> Any:
    for option in reversed(options):
        command = option(command)
    return command


KUBE_OPTIONS = (
    click.option("--context", envvar="LOCALFN_KUBE_CONTEXT", default=None, help="kubeconfig context [default: the current one]."),
    click.option("-n", "--namespace", envvar="LOCALFN_NAMESPACE", default=None, help="Namespace of the release [default: the context's]."),
    click.option("--kubeconfig", envvar="KUBECONFIG", default=None, help="kubeconfig file(s), ':'-separated [default: ~/.kube/config]."),
    click.option("--release", envvar="LOCALFN_RELEASE", default="localfn", show_default=True, help="Helm release name."),
)


def kube_options(command: Any) -> Any:
    """Where the release is, as kubectl and helm name it: --context, --namespace, --kubeconfig, --release."""
    return _apply(command, KUBE_OPTIONS)


def cluster_options(command: Any) -> Any:
    """The options `doctor --cluster` takes, kubectl's names first."""
    return _apply(
        command,
        (
            click.option("--cluster", is_flag=True, help="Check the release on the Kubernetes cluster instead of this machine."),
            *KUBE_OPTIONS,
            click.option(
                "--values",
                "values_file",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                default=None,
                help="The release's values (`helm get values RELEASE --all -o yaml`), instead of its Helm Secret.",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON."),
        ),
    )


def connect(context: str | None, namespace: str | None, kubeconfig: str | None) -> Any:
    """A `localfn.operate.kube.Cluster`, or the reason it cannot be reached as a usage error."""
    # Imported here: the kubernetes client is for these commands only (~0.3 s to import).
    from localfn.operate.kube import Cluster, ClusterError

    try:
        return Cluster.connect(kubeconfig, context, namespace)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc


def run_cluster_doctor(
    context: str | None, namespace: str | None, kubeconfig: str | None, release: str, values_file: Path | None, as_json: bool
) -> None:
    """Run every cluster check, print them, exit 1 when one FAILs."""
    from localfn.operate.cluster import Target, cluster_checks, reachable

    cluster = connect(context, namespace, kubeconfig)
    try:
        checks = [reachable(cluster)]
        if not failed(checks):
            values, source = _values(cluster, release, values_file)
            checks.append(source)
            if values is not None:  # without them, every check below would judge against nothing
                checks += cluster_checks(Target(cluster, release, values))
    finally:
        cluster.close()
    where = {"context": cluster.context, "namespace": cluster.namespace, "release": release}
    if as_json:
        click.echo(json.dumps(to_json(checks, **where), indent=2))
    else:
        _print(checks, where)
    if failed(checks):
        raise SystemExit(1)


def _values(cluster: Any, release: str, values_file: Path | None) -> tuple[dict[str, Any] | None, Check]:
    """The release's values (None when there are none to read) and a check saying where they came from."""
    from localfn.operate.kube import ClusterError
    from localfn.operate.release import helm_secret_selector, newest

    name = "release values"
    if values_file is not None:
        import yaml  # the kubernetes client's own dependency

        return yaml.safe_load(values_file.read_text(encoding="utf-8")) or {}, ok(name, f"from {values_file}")
    try:
        found = newest(cluster.items("v1", "secrets", selector=helm_secret_selector(release)))
    except ClusterError as exc:
        return None, fail(
            name,
            f"cannot read the Helm release Secret: {exc}",
            f"pass --values with `helm get values {release} --all -o yaml`, or grant get/list on secrets",
        )
    except ValueError as exc:
        return None, fail(
            name,
            f"the Helm release Secret is not readable as a release: {exc}",
            f"pass --values with `helm get values {release} --all -o yaml`",
        )
    if found is None:
        return None, fail(
            name,
            f"no deployed Helm release {release!r} in namespace {cluster.namespace}",
            "check --release and --namespace (`helm list -A` lists releases)",
        )
    return found.values, ok(name, f"release {found.name} revision {found.revision} ({found.chart})")


def _print(checks: list[Check], where: dict[str, str]) -> None:
    table = wrapping_table(f"localfn release {where['release']} in {where['namespace']} (context {where['context']})", "", "check", "found")
    for check in checks:
        colour = COLOURS[check.status]
        found = escape(check.detail) + (f"\n[{colour}]fix:[/] {escape(check.fix)}" if check.fix else "")
        table.add_row(f"[{colour}]{check.status.value}[/]", check.name, found)
    console.print(table)
    fails = sum(check.status is Status.FAIL for check in checks)
    warns = sum(check.status is Status.WARN for check in checks)
    console.print(
        f"{len(checks)} checks: {fails} FAIL, {warns} WARN." if fails or warns else f"[green]OK[/]: all {len(checks)} checks passed."
    )
