"""What tests of every layer share: a business clock, the app's settings and one
app per module, the check that a refused command writes nothing. The fixtures are
registered by tests/conftest.py (``pytest_plugins``: clock, app)."""
