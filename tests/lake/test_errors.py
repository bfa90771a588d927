"""The error base: declared fields, templates, the transient mixin, pickling, one home per package."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pytest

import catalog
import infra
import lake
from lake.errors import ConfigError, InvalidOptionError, LakeforgeError, Transient, TransientError, is_transient


class _StoreError(LakeforgeError):
    """A package base."""


class _Missing(_StoreError):
    template = "no table at {table}{where}"
    table: str
    version: int | None = None

    @property
    def where(self) -> str:
        return f" (version {self.version})" if self.version is not None else ""


class _Conflict(Transient, _StoreError):
    template = "{table}: conflict"
    table: str


def _all_error_classes() -> list[type[LakeforgeError]]:
    for package in (lake, catalog, infra):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".cli" in info.name or info.name.endswith(("__main__", "endpoint_server")):
                continue
            importlib.import_module(info.name)
    found: list[type[LakeforgeError]] = []
    todo = [LakeforgeError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.split(".")[0] in {"lake", "catalog", "infra"} and sub not in found:
                found.append(sub)
            todo.append(sub)
    return found


def _sample(cls: type, name: str) -> object:
    """A value fitting the field's annotation (annotations are strings here)."""
    for klass in cls.__mro__:
        kind = str(getattr(klass, "__annotations__", {}).get(name, ""))
        if kind:
            break
    if kind.startswith(("int", "float")):
        return 3
    if kind.startswith("bytes"):
        return b"\xff"
    if kind.startswith(("list", "Sequence")):
        return [f"v-{name}"]
    return f"v-{name}"


def test_fields_positional_or_keyword_render_the_template() -> None:
    err = _Missing("s3://b/t", version=3)
    assert str(err) == "no table at s3://b/t (version 3)"
    assert err.table == "s3://b/t" and err.version == 3
    assert err.fields == {"table": "s3://b/t", "version": 3}
    assert str(_Missing(table="x")) == "no table at x"


def test_missing_and_unknown_fields_are_programming_errors() -> None:
    with pytest.raises(TypeError, match="missing fields"):
        _Missing()
    with pytest.raises(TypeError, match="unknown fields"):
        _Missing("x", colour="red")


def test_transient_mixin_stays_inside_the_package_hierarchy() -> None:
    err = _Conflict("t")
    assert isinstance(err, _StoreError) and is_transient(err)
    assert not is_transient(_Missing("t"))
    assert is_transient(TransientError("throttled"))
    with pytest.raises(_StoreError):
        raise err


def test_errors_pickle_with_their_fields() -> None:
    for err in (_Missing("t", version=2), _Conflict("t"), ConfigError("bad", key="spark.master"),
                InvalidOptionError("--port", -1, "a port number")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err)
        assert str(back) == str(err)
        assert back.fields == err.fields
        assert back.transient == err.transient


def test_every_error_class_lives_in_an_errors_module() -> None:
    misplaced = [f"{c.__module__}.{c.__name__}" for c in _all_error_classes()
                 if c.__module__.rsplit(".", 1)[-1] != "errors"]
    assert misplaced == []


def test_every_error_class_pickles_with_its_declared_fields() -> None:
    checked = 0
    for cls in _all_error_classes():
        if "__init__" in cls.__dict__:  # a custom constructor derives its fields; covered by its own tests
            continue
        err = cls(**{name: _sample(cls, name) for name in cls.field_names()})
        back = pickle.loads(pickle.dumps(err))
        assert str(back) == str(err) and back.fields == err.fields, cls
        checked += 1
    assert checked > 40


def test_package_transient_errors_are_caught_by_their_package_base() -> None:
    from catalog.errors import CatalogError, ConcurrentModificationError
    from lake.delta.errors import ConcurrentCommitError, DeltaStoreError
    from lake.storage.errors import StorageError, StorageUnreachableError
    from lake.stream.errors import KinesisUnavailableError, StreamError

    for transient, base in ((ConcurrentCommitError, DeltaStoreError), (ConcurrentModificationError, CatalogError),
                            (StorageUnreachableError, StorageError), (KinesisUnavailableError, StreamError)):
        assert issubclass(transient, base) and transient.transient
