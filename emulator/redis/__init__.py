"""The Redis endpoint: a RESP server over fakeredis's command engine, or a managed redis-server."""
