"""functions-framework entrypoint: FUNCTION_SOURCE=functions/extract_parameters/main.py FUNCTION_TARGET=extract_parameters."""

from localfn.entry import entrypoint
from localfn.functions.extract_parameters.capability import ExtractParameters

extract_parameters = entrypoint(ExtractParameters)
