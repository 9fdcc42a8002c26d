"""ElastiCache: a live Redis endpoint per cache, configured as created; see plane.py."""
