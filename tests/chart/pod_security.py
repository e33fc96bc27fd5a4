"""The Kubernetes Pod Security Standard "restricted" as a checker, and the chart's own hardening beyond it.

Written from the published policy (kubernetes.io/docs/concepts/security/pod-security-standards,
v1.29+): every check there that a PodSpec can fail, baseline included.
"""

from __future__ import annotations

from typing import Any

_RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
_SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}


def restricted_pss_violations(pod_spec: dict[str, Any], pod_annotations: dict[str, str] | None = None) -> list[str]:
    """Violations of the Kubernetes Pod Security Standard "restricted" (baseline included), v1.29+.

    Follows the policy as published (kubernetes.io/docs/concepts/security/pod-security-standards):
    every check there that a PodSpec can fail is here.
    """
    out: list[str] = []
    psc = pod_spec.get("securityContext") or {}
    all_containers = (
        list(pod_spec.get("containers", [])) + list(pod_spec.get("initContainers", [])) + list(pod_spec.get("ephemeralContainers", []))
    )
    # baseline: host namespaces, privileged, capabilities, hostPath, host ports
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(field):
            out.append(f"{field} is true")
    for v in pod_spec.get("volumes", []):
        types = set(v) - {"name"}
        bad = types - _RESTRICTED_VOLUME_TYPES
        if bad:
            out.append(f"volume {v['name']} uses {sorted(bad)}")
    for sysctl in psc.get("sysctls", []) or []:
        if sysctl.get("name") not in _SAFE_SYSCTLS:
            out.append(f"unsafe sysctl {sysctl.get('name')}")
    if (psc.get("seLinuxOptions") or {}).get("type") not in (
        None,
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
    ):
        out.append("pod seLinuxOptions.type not allowed")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp is not None and pod_seccomp not in ("RuntimeDefault", "Localhost"):
        out.append(f"pod seccompProfile {pod_seccomp}")
    if psc.get("runAsUser") == 0:
        out.append("pod runAsUser is 0")
    for c in all_containers:
        name = c.get("name")
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            out.append(f"{name}: privileged")
        if sc.get("procMount") not in (None, "Default"):
            out.append(f"{name}: procMount {sc.get('procMount')}")
        if (sc.get("seLinuxOptions") or {}).get("type") not in (
            None,
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
        ):
            out.append(f"{name}: seLinuxOptions.type not allowed")
        for port in c.get("ports", []) or []:
            if port.get("hostPort"):
                out.append(f"{name}: hostPort {port['hostPort']}")
        # restricted
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation is not false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"{name}: capabilities do not drop ALL")
        extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if extra:
            out.append(f"{name}: adds capabilities {sorted(extra)}")
        run_as_non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if run_as_non_root is not True:
            out.append(f"{name}: runAsNonRoot is not true (pod or container)")
        if sc.get("runAsUser") == 0:
            out.append(f"{name}: runAsUser is 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile is {seccomp!r} (pod or container must be RuntimeDefault or Localhost)")
    for key, value in (pod_annotations or {}).items():
        if (
            key.startswith("container.apparmor.security.beta.kubernetes.io/")
            and value not in ("runtime/default",)
            and not value.startswith("localhost/")
        ):
            out.append(f"AppArmor {key}={value}")
    return out


def hardening_gaps(container: dict[str, Any]) -> list[str]:
    """What the brief asks beyond the standard: a read-only root filesystem with /tmp writable."""
    out = []
    sc = container.get("securityContext") or {}
    if sc.get("readOnlyRootFilesystem") is not True:
        out.append("readOnlyRootFilesystem is not true")
    if not any(m.get("mountPath") == "/tmp" for m in container.get("volumeMounts", [])):
        out.append("/tmp is not a writable mount")
    return out
