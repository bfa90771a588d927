"""The ``lake`` command-line interface."""
