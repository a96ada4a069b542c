"""IEEE 488.2 program-message framing shared by both transports.

Bytes arrive in arbitrary pieces; :class:`MessageSplitter` cuts them into complete program messages. A message
ends at a newline (a trailing carriage return is stripped, so "\\r\\n" works) or at an extra terminator byte.
Inside a definite-length arbitrary block (``#<n><n digits of length><length bytes>``) terminator bytes are
data, as on a real instrument's parser, so binary uploads survive. Messages are decoded as Latin-1, which maps
every byte to one character (a handler recovers the exact bytes of a block with ``.encode("latin-1")``).
"""

from __future__ import annotations

import functools
import re

from mtjhw.simulators.transport.handler import EndOnly

#: A block header claiming more than this many bytes is treated as ordinary text, so that garbage such as
#: "#9999999999" cannot swallow the following messages.
MAX_BLOCK_BYTES = 64 * 1024 * 1024

ENCODING = "latin-1"


@functools.cache
def _special_bytes(extra_terminator: str) -> re.Pattern[bytes]:
    """Pattern of the bytes a splitter stops at: newline, '#' (block headers) and the extra terminator."""
    chars = b"\n#" + extra_terminator.encode(ENCODING)
    return re.compile(b"[" + re.escape(chars) + b"]")


class MessageSplitter:
    """Incremental splitter of a byte stream into program messages (str, stripped of whitespace).

    ``extra_terminator``: one more byte value that ends a message besides newline (e.g. ``"\\r"`` for an
    instrument configured for CR termination), or None.
    """

    def __init__(self, extra_terminator: str | None = None) -> None:
        self._buffer = bytearray()
        self._scan = 0  # bytes before this index hold no terminator and no unfinished block header
        self._protect = 0  # bytes before this index end inside a block: never stripped as whitespace
        self.set_extra_terminator(extra_terminator)

    def set_extra_terminator(self, extra_terminator: str | None) -> None:
        """Change the extra terminator (one character, or None/"" for newline only)."""
        if extra_terminator and len(extra_terminator) != 1:
            raise ValueError(f"extra_terminator must be one character or None, got {extra_terminator!r}")
        self._special = _special_bytes(extra_terminator or "")

    @property
    def pending(self) -> bool:
        """True while an unterminated partial message is buffered."""
        return bool(self._buffer)

    def clear(self) -> None:
        """Drop any partial message (device clear)."""
        self._buffer.clear()
        self._scan = 0
        self._protect = 0

    def feed(self, data: bytes) -> list[str]:
        """Append ``data`` and return the messages it completed, in order (empty ones are dropped)."""
        self._buffer.extend(data)
        messages: list[str] = []
        start = 0
        pos = self._scan
        buf = self._buffer
        while True:
            match = self._special.search(buf, pos)
            if match is None:
                pos = len(buf)
                break
            index = match.start()
            if buf[index] == ord("#"):
                skip = self._block_end(index)
                if skip is None:  # header incomplete: wait for more bytes, rescan from the '#'
                    pos = index
                    break
                pos = skip
                if skip > index + 1:
                    self._protect = skip
                continue
            self._append(messages, buf[start:index], self._protect - start)
            start = pos = index + 1
        del buf[:start]
        self._scan = pos - start
        self._protect = max(0, self._protect - start)
        return messages

    def finish(self) -> list[str]:
        """End the current message as if a terminator came (the END indicator); return it if non-empty."""
        messages: list[str] = []
        self._append(messages, self._buffer, self._protect)
        self.clear()
        return messages

    def _block_end(self, index: int) -> int | None:
        """Index just past the '#' construct at ``index``; None when more bytes are needed to decide."""
        buf = self._buffer
        if index + 1 >= len(buf):
            return None
        n_digits = buf[index + 1] - ord("0")
        if not 1 <= n_digits <= 9:  # "#0" indefinite block, "#H1F" numbers, or plain text
            return index + 1
        header_end = index + 2 + n_digits
        if header_end > len(buf):
            digits = bytes(buf[index + 2 :])
            return None if digits.isdigit() or not digits else index + 1
        digits = bytes(buf[index + 2 : header_end])
        if not digits.isdigit() or int(digits) > MAX_BLOCK_BYTES:
            return index + 1
        end = header_end + int(digits)
        return None if end > len(buf) else end

    @staticmethod
    def _append(messages: list[str], raw: bytes | bytearray, protect: int) -> None:
        """Append ``raw`` without surrounding whitespace; its first ``protect`` bytes are kept whole."""
        if protect <= 0:
            text = raw.decode(ENCODING).strip()
            if text:
                messages.append(text)
            return
        tail = bytes(raw[protect:]).decode(ENCODING).rstrip()
        text = (bytes(raw[:protect]).decode(ENCODING) + tail).lstrip()
        if text:
            messages.append(text)


def encode_response(response: str | bytes) -> bytes:
    """A handler's response as bytes (str is encoded as Latin-1, unencodable characters become '?')."""
    if isinstance(response, bytes):
        return response
    return response.encode(ENCODING, errors="replace")


def terminate(response: str | bytes, termination: bytes) -> bytes:
    """A handler's response as sent: encoded and followed by ``termination``, unless it ends with END only."""
    if isinstance(response, EndOnly):
        return bytes(response)
    return encode_response(response) + termination
