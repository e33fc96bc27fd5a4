"""What operators run against a deployment: Ollama's models (`ollama`), the cluster's health (`kube`).

Used by the `localfn` command only; nothing on a function's serving path imports this package
(the kubernetes client alone costs a cold start ~0.5 s).
"""
