"""The commands of the ``sora`` CLI, one module per resource."""
