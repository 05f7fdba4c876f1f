"""The only language spoken between a student's sandbox and the trusted checker.

Messages are JSON documents, length-prefixed on a Unix socket. Values are plain
data only: numbers, strings, None, lists, tuples and dicts of them, numeric numpy
arrays and torch tensors (sent as dtype, shape and raw bytes). Nothing is ever
pickled, so nothing a student builds can run code on the checker's side: an
object the wire cannot express travels as an opaque handle, and the checker can
only ask the sandbox to call it.

The receiving side bounds what it accepts before it builds anything: a
message's size, how many JSON values it may hold (a few bytes of ``[],`` would
otherwise become many times their size in Python objects), how deeply they
nest, and a deadline on the wall clock for the whole message, however slowly
its bytes arrive.

This module is read by both sides and imports nothing but the standard library
and numpy (torch only when a tensor is on the wire).
"""
from __future__ import annotations

import base64
import json
import socket
import struct
import time

import numpy as np

MAX_MESSAGE_BYTES = 64 * 2**20
MAX_VALUES = 2_000_000  # JSON values (counted generously: commas and brackets) in one message
MAX_NESTING = 12  # lists, tuples and dicts inside one another in a value
MAX_DEPTH = 2 * MAX_NESTING + 8  # JSON levels: each tuple or dict takes two, the message's envelope a few
NUMERIC_KINDS = "biufc"
_HEADER = struct.Struct(">Q")


class WireError(RuntimeError):
    """The other side broke the protocol, died, or sent too much."""


class Refused(WireError):
    """A whole message was read but is refused (too many values, too deep, not JSON): the stream is still in step."""


class Unencodable(TypeError):
    """A value that is not plain data (the sender turns it into a handle)."""


def send(sock: socket.socket, message: dict) -> None:
    payload = json.dumps(message, allow_nan=True).encode()
    if len(payload) > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {len(payload) / 2**20:.0f} MB is over the {MAX_MESSAGE_BYTES >> 20} MB limit")
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def receive(sock: socket.socket, deadline: float | None = None) -> dict:
    """The next message; ``deadline`` (``time.monotonic()``) bounds the whole message, not each chunk.

    Raises ``TimeoutError`` past the deadline and :class:`WireError` for anything
    the limits refuse or that is not a JSON object.
    """
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size, deadline))
    if size > MAX_MESSAGE_BYTES:
        raise WireError(f"incoming message of {size / 2**20:.0f} MB is over the {MAX_MESSAGE_BYTES >> 20} MB limit")
    try:
        payload = _read_exactly(sock, size, deadline)
    except TimeoutError:
        raise WireError("a message stalled past the deadline") from None
    values = payload.count(b",") + payload.count(b"[") + payload.count(b"{")
    if values > MAX_VALUES:
        raise Refused(f"incoming message holds about {values} values, over the limit of {MAX_VALUES}")
    try:
        message = json.loads(payload)
    except (ValueError, RecursionError) as error:
        raise Refused(f"unreadable message: {type(error).__name__}") from None
    if not isinstance(message, dict):
        raise Refused("a message must be a JSON object")
    _check_depth(message)
    return message


def _check_depth(value) -> None:
    level, todo = 0, [value]
    while todo:
        level += 1
        if level > MAX_DEPTH:
            raise Refused(f"incoming message is nested deeper than {MAX_DEPTH} levels")
        todo = [item for container in todo for item in (container.values() if isinstance(container, dict) else container)
                if isinstance(item, (list, dict))]


def _read_exactly(sock: socket.socket, size: int, deadline: float | None = None) -> bytes:
    chunks, remaining = [], size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                if chunks:
                    raise WireError("a message stalled past the deadline")
                raise TimeoutError("past the deadline")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except TimeoutError:
            if chunks:  # part of a message: the stream is out of step
                raise WireError("a message stalled past the deadline") from None
            raise
        if not chunk:
            raise WireError("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def encode(value, handle=None, depth: int = 0):
    """``value`` as JSON-ready plain data; ``handle(value)`` for anything else (or Unencodable)."""
    if depth > MAX_NESTING:
        raise Unencodable(f"nested more than {MAX_NESTING} levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float, bool):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return _encode_array(np.asarray(value), "__scalar__")
    if isinstance(value, complex) and type(value) is complex:
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, np.ndarray) and value.dtype.kind in NUMERIC_KINDS:
        return _encode_array(np.asarray(value), "__array__")
    if type(value).__module__ == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
        array = value.detach().cpu().numpy()
        if array.dtype.kind in NUMERIC_KINDS:
            return _encode_array(array, "__tensor__")
    if type(value) in (list, tuple):
        items = [encode(item, handle, depth + 1) for item in value]
        return items if type(value) is list else {"__tuple__": items}
    if type(value) is dict and all(type(key) is str for key in value):
        return {"__dict__": {key: encode(item, handle, depth + 1) for key, item in value.items()}}
    if handle is None:
        raise Unencodable(f"a {type(value).__name__} is not plain data")
    return handle(value)


def decode(value, resolve=None):
    """Inverse of :func:`encode`; ``resolve(tag, payload)`` turns handles back into objects.

    Raises :class:`WireError` for anything :func:`encode` would not have written.
    """
    try:
        return _decode(value, resolve)
    except (ValueError, TypeError, LookupError, AttributeError) as error:
        raise WireError(f"malformed value: {type(error).__name__}: {str(error)[:200]}") from None


def _decode(value, resolve):
    if isinstance(value, list):
        return [_decode(item, resolve) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(item, resolve) for item in value["__tuple__"])
    if "__dict__" in value:
        return {key: _decode(item, resolve) for key, item in value["__dict__"].items()}
    if "__complex__" in value:
        real, imaginary = value["__complex__"]
        if not all(type(part) in (int, float) for part in (real, imaginary)):
            raise WireError("malformed complex number")
        return complex(real, imaginary)
    for tag in ("__array__", "__scalar__", "__tensor__"):
        if tag in value:
            return _decode_array(value[tag], tag)
    if resolve is None:
        raise WireError(f"unexpected handle {sorted(value)}")
    (tag, payload), = value.items()
    return resolve(tag, payload)


def _encode_array(array: np.ndarray, tag: str) -> dict:
    array = np.ascontiguousarray(array)
    return {tag: {"dtype": array.dtype.str, "shape": list(array.shape),
                  "data": base64.b64encode(array.tobytes()).decode("ascii")}}


def _decode_array(spec: dict, tag: str):
    try:
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(n) for n in spec["shape"])
        data = base64.b64decode(spec["data"], validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise WireError(f"malformed array: {type(error).__name__}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject:
        raise WireError(f"refused array of dtype {dtype}")
    if any(n < 0 for n in shape) or len(data) != dtype.itemsize * int(np.prod(shape, dtype=object)):
        raise WireError(f"array data do not match the shape {shape} and dtype {dtype}")
    array = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if tag == "__scalar__":
        return array.reshape(())[()]
    if tag == "__tensor__":
        import torch

        return torch.from_numpy(array)
    return array
