"""Request (``...In``) and response (``...Out``) models."""
