"""A day of engine traffic in virtual time, through the real engine pool and pod balancer (``python -m bench.scale``)."""
