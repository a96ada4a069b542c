"""IEEE 488.2 definite-length blocks (``#<n><length><bytes>``), the binary transfers of waveform queries."""

from __future__ import annotations

from typing import Any


def read_definite_block(instrument: Any) -> bytes:
    """The payload of the block ``instrument`` answers next, read byte-exact, and its message terminator."""
    head = instrument.read_bytes(2)
    if head[:1] != b"#" or not head[1:2].isdigit() or head[1:2] == b"0":
        raise RuntimeError(f"{instrument.name}: expected a definite-length block, got {head!r}")
    length = int(instrument.read_bytes(int(head[1:2])))
    payload = instrument.read_bytes(length)
    instrument.read_bytes(1)  # the message terminator
    return payload
