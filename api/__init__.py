"""The HTTP API and the ``opsledger`` command line."""
