"""The opsledger domain: the policy's aggregates, their events and their rules.

Pure Python: imports only the standard library and ``eventsourcing.domain``.
"""
