"""localfn: local-LLM capabilities as serverless CloudEvents functions.

The library every function imports: settings, engines, structured output, events, the
function host. Capabilities live in ``localfn.functions`` (the repository's functions/).
"""

__version__ = "0.1.0"
