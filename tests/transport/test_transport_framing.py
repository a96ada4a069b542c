"""IEEE 488.2 message framing: terminators, whitespace, definite-length blocks, any packet boundaries."""

from __future__ import annotations

import random

import pytest

from mtjhw.simulators.transport.framing import MAX_BLOCK_BYTES, MessageSplitter, encode_response


def test_newline_and_crlf_end_messages_and_blank_ones_vanish():
    splitter = MessageSplitter()
    assert splitter.feed(b"*IDN?\r\n  VOLT 1 ;VOLT?\n\n \r\n") == ["*IDN?", "VOLT 1 ;VOLT?"]
    assert not splitter.pending


def test_partial_message_waits_for_its_terminator_or_end():
    splitter = MessageSplitter()
    assert splitter.feed(b"VOLT") == []
    assert splitter.pending
    assert splitter.feed(b" 2\nCURR") == ["VOLT 2"]
    assert splitter.finish() == ["CURR"]
    assert splitter.finish() == []


def test_extra_terminator():
    splitter = MessageSplitter("\r")
    assert splitter.feed(b"A\rB\nC") == ["A", "B"]
    with pytest.raises(ValueError, match="extra_terminator"):
        MessageSplitter("\r\n")


def test_definite_length_block_keeps_newlines_and_whitespace():
    data = bytes([10, 32, 13, 10, 9, 0, 255])
    stream = b"DATA #17" + data + b"\nNEXT?\n"
    messages = MessageSplitter().feed(stream)
    assert messages == ["DATA #17" + data.decode("latin-1"), "NEXT?"]
    assert messages[0].encode("latin-1")[-7:] == data


def test_non_blocks_are_text():
    splitter = MessageSplitter()
    assert splitter.feed(b"#H1F\n#0\n#2x\n#9123456789\n#") == ["#H1F", "#0", "#2x", "#9123456789"]
    assert MAX_BLOCK_BYTES < 123456789
    assert splitter.feed(b"B1010\n") == ["#B1010"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_packet_boundaries_do_not_matter(seed):
    rng = random.Random(seed)
    parts, expected = [], []
    for i in range(200):
        kind = rng.randrange(3)
        if kind == 0:
            parts.append(f"Q{i}?\r\n".encode())
            expected.append(f"Q{i}?")
        elif kind == 1:
            payload = rng.randbytes(rng.randrange(0, 40))
            parts.append(b"BLK #2%02d" % len(payload) + payload + b"\n")
            expected.append(f"BLK #2{len(payload):02d}" + payload.decode("latin-1"))
        else:
            garbage = bytes(b for b in rng.randbytes(rng.randrange(1, 30)) if b not in b"\n#")
            parts.append(garbage + b"\n")
            if garbage.decode("latin-1").strip():
                expected.append(garbage.decode("latin-1").strip())
    stream = b"".join(parts)
    whole = MessageSplitter().feed(stream)
    assert whole == expected
    pieces, splitter, at = [], MessageSplitter(), 0
    while at < len(stream):
        step = rng.randrange(1, 12)
        pieces += splitter.feed(stream[at : at + step])
        at += step
    assert pieces == expected


def test_encode_response():
    assert encode_response("1.5E-3") == b"1.5E-3"
    assert encode_response(b"#13\x00\n\x01") == b"#13\x00\n\x01"
    assert encode_response("\u03a9") == b"?"
