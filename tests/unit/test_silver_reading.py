"""Streaming helpers of the transform: line blocks, bounded gunzip, BOM."""

from __future__ import annotations

import gzip

import pytest

from elt.silver import ContentError, OversizedLine, gunzip, line_blocks, strip_bom


def chunks(data: bytes, size: int = 7) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_blocks_are_whole_lines_with_offsets() -> None:
    data = b"".join(f"line-{i}\n".encode() for i in range(50))
    items = list(line_blocks(iter(chunks(data)), block_bytes=40, max_line_bytes=30))
    assert b"".join(block for _, block in items) == data  # type: ignore[misc]
    offset = 0
    for start, block in items:  # type: ignore[misc]
        assert start == offset and block.endswith(b"\n")
        offset += block.count(b"\n")


def test_oversized_line_is_skipped_in_constant_memory() -> None:
    data = b"a\n" + b"x" * 1000 + b"\nb\nc"
    items = list(line_blocks(iter(chunks(data, 16)), block_bytes=64, max_line_bytes=64))
    oversized = [i for i in items if isinstance(i, OversizedLine)]
    assert len(oversized) == 1 and oversized[0].line_offset == 1 and oversized[0].length == 1000
    blocks = [i for i in items if not isinstance(i, OversizedLine)]
    assert blocks[0] == (0, b"a\n") and blocks[-1] == (2, b"b\nc")


def test_gunzip_multi_member_and_limits() -> None:
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n")
    assert b"".join(gunzip(iter(chunks(data, 5)), limit=100)) == b"one\ntwo\n"
    bomb = gzip.compress(b"0" * 100_000)
    with pytest.raises(ContentError, match="MAX_DECOMPRESSED_BYTES"):
        b"".join(gunzip(iter([bomb]), limit=10_000))
    with pytest.raises(ContentError, match="not a valid gzip stream"):
        b"".join(gunzip(iter([b"plain text, not gzip"]), limit=100))
    with pytest.raises(ContentError, match="truncated"):
        b"".join(gunzip(iter([gzip.compress(bytes(range(256)) * 40)[:-20]]), limit=100_000))


def test_bom_only_at_start() -> None:
    assert b"".join(strip_bom(iter([b"\xef\xbb\xbf{}", b"\xef\xbb\xbf"]))) == b"{}\xef\xbb\xbf"
