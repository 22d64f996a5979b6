"""The read side: each read model's queries (``customers``, ``complaints``, ...) and
``read_models.ReadModels``, the one object the API reads them through."""
