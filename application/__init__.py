"""Application services: one eventsourcing Application per aggregate type."""
