"""One router per collection."""
