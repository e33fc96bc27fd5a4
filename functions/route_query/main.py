"""functions-framework entrypoint: FUNCTION_SOURCE=functions/route_query/main.py FUNCTION_TARGET=route_query."""

from localfn.entry import entrypoint
from localfn.functions.route_query.capability import RouteQuery

route_query = entrypoint(RouteQuery)
