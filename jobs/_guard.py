"""First import of every job: a Python without lakeforge's packages gets one line, exit code 2.

Jobs import ``lake``/``catalog`` at the top, so ``python3 jobs/x.py`` with the system Python
would otherwise end in a traceback about a missing module. This module needs nothing but
the standard library; each job imports it before anything of the project's::

    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under python -I / -P
    import _guard  # noqa: E402,F401
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

__all__ = ["REQUIRED", "missing_module"]

REQUIRED = ("lake", "catalog", "pyspark", "deltalake")


def missing_module() -> str | None:
    """The first package of :data:`REQUIRED` this interpreter cannot import, else ``None``."""
    for name in REQUIRED:
        if importlib.util.find_spec(name) is None:
            return name
    return None


def _venv_python() -> str:
    venv = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"
    try:
        return str(venv.relative_to(Path.cwd()))
    except ValueError:
        return str(venv)


def _check() -> None:
    missing = missing_module()
    if missing is None:
        return
    script = sys.argv[0] or "this job"
    sys.stderr.write(
        f"error: {sys.executable} has no {missing!r} module (lakeforge's packages are not installed "
        f"for it): run {_venv_python()} {script} or `lake submit {script}`\n"
    )
    raise SystemExit(2)


_check()
