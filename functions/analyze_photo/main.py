"""functions-framework entrypoint: FUNCTION_SOURCE=functions/analyze_photo/main.py FUNCTION_TARGET=analyze_photo."""

from localfn.entry import entrypoint
from localfn.functions.analyze_photo.capability import AnalyzePhoto

analyze_photo = entrypoint(AnalyzePhoto)
