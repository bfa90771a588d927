"""Keep MLflow's chatter off the terminal: INFO and WARNING go to a log file, errors still show."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

__all__ = ["configure_mlflow_logging"]

_LOCK = threading.Lock()
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _LakeforgeFileHandler(logging.FileHandler):
    """Marks the file handler this module added, so it is replaced rather than duplicated."""


def configure_mlflow_logging(log_file: Path | None = None) -> None:
    """Raise MLflow's terminal handlers to ERROR and send everything from INFO to ``log_file``.

    Idempotent; a later call with another file moves the file handler there.
    """
    import mlflow  # noqa: F401  (MLflow installs its own stderr handler on import)

    with _LOCK:
        for name in ("mlflow", "alembic"):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                if isinstance(handler, _LakeforgeFileHandler):
                    logger.removeHandler(handler)
                    handler.close()
                elif isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                    handler.setLevel(logging.ERROR)
            if name == "alembic" and not logger.handlers:
                logger.propagate = False
                terminal = logging.StreamHandler()
                terminal.setLevel(logging.ERROR)
                logger.addHandler(terminal)
            if log_file is not None:
                log_file.parent.mkdir(parents=True, exist_ok=True)
                handler = _LakeforgeFileHandler(log_file, encoding="utf-8", delay=True)
                handler.setLevel(logging.INFO)
                handler.setFormatter(logging.Formatter(_FORMAT))
                logger.addHandler(handler)
            logger.setLevel(logging.INFO)
