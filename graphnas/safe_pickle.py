"""Restricted unpickling for benchmark data pickles (CIFAR batches, NAS-Bench-101 fixtures).

Python pickles can run any code while loading, so graphnas never unpickles a user file with
`pickle.load`. Data pickles go through `load_data_pickle`, whose unpickler resolves only the numpy
globals that rebuild arrays, dtypes and scalars; every other global (os.system, builtins.eval,
collections.OrderedDict, ...) is refused before anything is called. The loaded value is then checked
to hold only None, bools, numbers, str, bytes, lists, tuples, dicts and numeric numpy arrays or
scalars. Every refusal and every malformed pickle is an `InputFileError` naming the source.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from graphnas.errors import InputFileError

# The globals a data pickle needs: numpy's array reconstruction (protocols 0-4 and the in-band
# protocol-5 form), dtypes and scalars, under numpy 1.x and 2.x module names.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}
_SCALAR_GLOBALS = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}
NUMERIC_KINDS = frozenset("biuf")  # bool, signed, unsigned, float
MAX_DEPTH = 20


class UnsafePickleError(InputFileError):
    """A pickle asks for something other than plain data and numeric arrays."""


class _DataOnlyUnpickler(pickle.Unpickler):
    def __init__(self, handle: io.BytesIO, source: str) -> None:
        super().__init__(handle, encoding="bytes")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_bytes
        if (module, name) in _SCALAR_GLOBALS:
            return _numeric_scalar
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickleError(
            f"{self.source}: refused to load: pickle references {module}.{name} "
            "(only plain data and numeric arrays are allowed)"
        )

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"{self.source}: refused to load: pickle uses persistent ids")


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """The one use of `_codecs.encode` in a data pickle: bytes stored as latin-1 text."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("refused to load: pickle calls _codecs.encode with other arguments")
    return text.encode("latin1")


def _numeric_scalar(dtype: Any, data: Any = None) -> np.generic:
    """numpy's scalar reconstructor, for numeric dtypes and raw bytes only."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in NUMERIC_KINDS:
        raise UnsafePickleError(f"refused to load: numpy scalar of dtype {dtype!r}")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise UnsafePickleError("refused to load: malformed numpy scalar")
    return np.frombuffer(data, dtype=dtype)[0]


def load_data_pickle(data: bytes, source: str) -> Any:
    """Unpickle `data`, allowing only dicts, lists, tuples, str, bytes, numbers and numeric
    arrays/scalars; `source` names the input in every error."""
    try:
        value = _DataOnlyUnpickler(io.BytesIO(data), source).load()
    except UnsafePickleError as err:
        message = _first_line(err)
        raise UnsafePickleError(
            message if message.startswith(source) else f"{source}: {message}"
        ) from None
    except Exception as err:  # any malformed pickle: report it as a bad input file
        raise InputFileError(
            f"{source}: not a valid pickle ({type(err).__name__}: {_first_line(err)})"
        ) from None
    _check_plain(value, source)
    return value


def read_data_pickle(path: str | Path) -> Any:
    """Read and restrictedly unpickle the file at `path` (see `load_data_pickle`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as err:
        raise InputFileError(f"{path}: cannot read ({err.strerror or err})") from None
    return load_data_pickle(data, str(path))


def _check_plain(value: Any, source: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise UnsafePickleError(f"{source}: refused to load: data nested too deeply")
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind not in NUMERIC_KINDS:
            raise UnsafePickleError(
                f"{source}: refused to load: array of dtype {value.dtype} "
                "(only numeric arrays are allowed)"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key, source, depth + 1)
            _check_plain(item, source, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(item, source, depth + 1)
    elif value is not None and not isinstance(value, (str, bytes, int, float)):
        raise UnsafePickleError(f"{source}: refused to load: value of type {type(value).__name__}")


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
