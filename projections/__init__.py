"""Read models built from the event logs (dashboards, audit trail)."""
