"""SRU at /sru: the server (server.py), the CQL parser (cql.py, its tree cql_tree.py and its
writer cql_writer.py) and CQL in the union index's own query language (cql_query.py)."""
