"""functions-framework entrypoint: FUNCTION_SOURCE=functions/generate_badge/main.py FUNCTION_TARGET=generate_badge."""

from localfn.entry import entrypoint
from localfn.functions.generate_badge.capability import GenerateBadge

generate_badge = entrypoint(GenerateBadge)
