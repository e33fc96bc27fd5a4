"""functions-framework entrypoint: FUNCTION_SOURCE=functions/summarize/main.py FUNCTION_TARGET=summarize."""

from localfn.entry import entrypoint
from localfn.functions.summarize.capability import Summarize

summarize = entrypoint(Summarize)
