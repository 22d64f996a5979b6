"""What the read endpoints answer: dashboards, lists, the audit trail and /health.

Each model holds exactly the JSON the read models give: money as decimal strings,
times as ISO 8601 text in UTC, rates as fractions (0..1) unless named percent.
Every class name is unique across api.schemas (clients are generated from them).
"""
