"""The wire between a student's sandbox and the checker: plain data only, and bounded on the receiving side.

These run in a second; the same limits are attacked through the real batch
grader in ``test_sandbox_attacks.py``.
"""
import json
import socket
import struct
import threading
import time

import numpy as np
import pytest
import torch

from autograder.isolation import _copy_back, checked_outputs
from autograder.sandbox import wire


def through_the_wire(value, handle=None):
    """``value`` encoded, sent over a real socket pair, received and decoded."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        wire.send(ours, {"value": wire.encode(value, handle)})
        return wire.decode(wire.receive(theirs, time.monotonic() + 5)["value"])


def raw_message(payload: bytes) -> socket.socket:
    """A socket holding one length-prefixed message with ``payload``, as a student's code could send it."""
    ours, theirs = socket.socketpair()
    threading.Thread(target=lambda: (ours.sendall(struct.pack(">Q", len(payload)) + payload), ours.close()),
                     daemon=True).start()
    return theirs


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool", "complex128"])
def test_numeric_arrays_round_trip_with_their_dtype_and_shape(dtype):
    array = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    back = through_the_wire(array)
    assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)
    assert back.flags.writeable  # a copy, not a view of the message


def test_tensors_scalars_and_containers_round_trip():
    tensor = torch.linspace(-1, 1, 6, dtype=torch.float32).reshape(2, 3)
    value = (tensor, np.float32(1.5), np.int64(-3), 2.5, 7, True, None, "text", 1 + 2j,
             [1, (2, 3)], {"a": np.zeros(2)})
    back = through_the_wire(value)
    assert isinstance(back, tuple) and isinstance(back[0], torch.Tensor)
    assert back[0].dtype == torch.float32 and torch.equal(back[0], tensor)
    assert back[1] == np.float32(1.5) and back[1].dtype == np.float32 and back[2].dtype == np.int64
    assert back[3:9] == (2.5, 7, True, None, "text", 1 + 2j)
    assert back[9] == [1, (2, 3)] and np.array_equal(back[10]["a"], np.zeros(2))


def test_objects_are_never_encoded_as_data():
    for value in (np.array([object()]), np.array(["a", "b"]), object(), {1: "key not a string"}, lambda: 0):
        with pytest.raises(wire.Unencodable):
            wire.encode(value)
    assert wire.encode(object(), handle=lambda value: {"__handle__": 1}) == {"__handle__": 1}


def test_object_and_mismatched_arrays_are_refused_on_receipt():
    refused = [
        {"__array__": {"dtype": "|O", "shape": [1], "data": "AAAAAAAAAAA="}},
        {"__array__": {"dtype": "<U1", "shape": [1], "data": "AAAAAA=="}},
        {"__array__": {"dtype": "<f8", "shape": [1000], "data": "AAAAAAAAAAA="}},  # 8 bytes for 1000 values
        {"__array__": {"dtype": "<f8", "shape": [-1], "data": "AAAAAAAAAAA="}},
        {"__complex__": ["1", 2]},
        {"__tuple__": 5},
    ]
    for value in refused:
        with pytest.raises(wire.WireError):
            wire.decode(value)


def test_nesting_is_bounded_when_sending_and_when_receiving():
    deep = []
    for _ in range(wire.MAX_NESTING + 2):
        deep = [deep]
    with pytest.raises(wire.Unencodable, match="nested"):
        wire.encode(deep)
    with pytest.raises(wire.Refused, match="nested deeper"):
        wire.receive(raw_message(b'{"value": ' + b"[" * 100 + b"]" * 100 + b"}"), time.monotonic() + 5)
    with pytest.raises(wire.Refused):  # deeper than the JSON parser's own recursion limit
        wire.receive(raw_message(b"[" * 1_500_000 + b"]" * 1_500_000), time.monotonic() + 5)


def test_a_message_of_millions_of_empty_lists_is_refused_before_it_is_built():
    payload = b'{"value": [' + b"[]," * 5_000_000 + b"[]]}"  # 15 MB that would become ~400 MB of lists
    with pytest.raises(wire.Refused, match="values"):
        wire.receive(raw_message(payload), time.monotonic() + 5)


def test_an_oversized_message_is_refused_without_reading_it():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.sendall(struct.pack(">Q", wire.MAX_MESSAGE_BYTES + 1))
        with pytest.raises(wire.WireError, match="over the"):
            wire.receive(theirs, time.monotonic() + 5)
    with pytest.raises(wire.WireError):
        wire.send(socket.socket(), {"text": "x" * (wire.MAX_MESSAGE_BYTES + 1)})


def test_the_deadline_bounds_a_whole_message_however_slowly_its_bytes_arrive():
    ours, theirs = socket.socketpair()
    payload = json.dumps({"value": "x" * 100}).encode()
    stop = threading.Event()

    def trickle():
        for byte in struct.pack(">Q", len(payload)) + payload:
            if stop.wait(0.05):
                return
            ours.send(bytes([byte]))

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(wire.WireError, match="stalled"):  # part of a message arrived: the stream is out of step
        wire.receive(theirs, started + 0.5)
    stop.set()
    assert time.monotonic() - started < 1.5  # the whole message would take 5.6 s at that rate
    ours.close(), theirs.close()
    quiet, silent = socket.socketpair()
    with quiet, silent, pytest.raises(TimeoutError):  # nothing at all arrived: an ordinary timeout
        wire.receive(silent, time.monotonic() + 0.2)


def test_in_place_changes_to_array_and_tensor_arguments_are_copied_back():
    array, tensor, number = np.zeros(3), torch.zeros(2), 5
    _copy_back((array, tensor, number), (np.array([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0]), 6))
    assert array.tolist() == [1.0, 2.0, 3.0] and tensor.tolist() == [4.0, 5.0]
    _copy_back((array,), (np.zeros(7),))  # another shape is not an in-place change
    assert array.tolist() == [1.0, 2.0, 3.0]


def test_outputs_from_the_sandbox_are_reduced_to_nbformat_fields_and_bounded():
    forged = [
        "not an output",
        {"output_type": "stream", "name": "stdout", "text": "a" * 50, "extra": "dropped"},
        {"output_type": "stream", "name": "elsewhere", "text": "x"},
        {"output_type": "display_data", "data": {"text/plain": "b" * 500}, "metadata": {}},
        {"output_type": "error", "ename": "CheckFailed", "evalue": "e" * 10_000, "traceback": ["t"] * 100},
        {"output_type": "stream", "name": "stderr", "text": "s" * 10_000},
        {"output_type": "unknown"},
    ]
    kept, used = checked_outputs(forged, room=300)
    kinds = [(output["output_type"], output.get("name")) for output in kept]
    assert kinds == [("stream", "stdout"), ("error", None), ("stream", "stderr"), ("stream", "stdout")]
    assert "extra" not in kept[0] and "cut by the grader" in kept[-1]["text"]
    # past the room an error and stderr are kept, shortened: they decide the grade
    assert kept[1]["ename"] == "CheckFailed" and len(kept[1]["evalue"]) <= 2000 and len(kept[1]["traceback"]) <= 3
    assert 0 < len(kept[2]["text"]) <= 2000
    assert used < 5000
    assert checked_outputs({"not": "a list"}, room=100) == ([], 0)
