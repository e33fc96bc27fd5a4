"""Engines: one protocol (``base``), backends (``ollama``, ``openai``), the failover ``pool``,
and the ``embedded`` llama.cpp server that `localfn serve` starts when no engine answers."""
