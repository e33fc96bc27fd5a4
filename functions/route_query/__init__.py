"""route-query: answer each query on the cheapest path that is good enough, and say why."""
