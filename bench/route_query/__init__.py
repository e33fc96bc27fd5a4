"""Evaluation of route-query's tier classifier (python -m bench.route_query.evaluate)."""
