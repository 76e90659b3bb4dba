"""Gzip decoding and damaged streams: bounded inflate, padding, members, and the same lines and
damaged-tail entry whatever the read-chunk and block sizes (docs/reliability.md, "Gzip")."""

from __future__ import annotations

import gzip
import json

import pytest

from elt.devkit.reference import inflate
from elt.records import Validator
from elt.silver import INFLATE_OUT_BYTES, ContentError, DamagedTail, gunzip, line_blocks, strip_bom

LINES = b"".join(json.dumps({"n": i, "pad": "x" * (i % 37)}).encode() + b"\n" for i in range(300))


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def decode(data: bytes, size: int, limit: int = 1 << 30) -> tuple[bytes, str | None]:
    out = bytearray()
    try:
        for piece in gunzip(iter(chunks(data, size)), limit):
            out += piece
    except ContentError as exc:
        return bytes(out), str(exc)
    return bytes(out), None


def test_inflate_output_per_call_is_bounded_whatever_the_ratio() -> None:
    bomb = gzip.compress(b"\0" * (24 << 20))  # ~24 KB in, 24 MiB out
    sizes = [len(p) for p in gunzip(iter([bomb]), 1 << 30)]
    assert sum(sizes) == 24 << 20 and max(sizes) <= INFLATE_OUT_BYTES


def test_members_and_zero_padding_are_one_stream() -> None:
    data = gzip.compress(LINES[:1000]) + gzip.compress(LINES[1000:]) + b"\0" * 700
    for size in (1, 3, 4096, len(data)):
        assert decode(data, size) == (LINES, None)


@pytest.mark.parametrize(
    "damage",
    [
        lambda z: z[: len(z) // 2],  # truncated
        lambda z: z + b"garbage",  # trailing garbage
        lambda z: z + b"\0\0junk",  # garbage after padding
        lambda z: z[:200] + bytes([z[200] ^ 0x10]) + z[201:],  # corrupt
        lambda z: z[:-3],  # trailer cut
    ],
)
def test_damage_keeps_what_decoded_before_it_at_every_chunk_size(damage) -> None:  # type: ignore[no-untyped-def]
    data = damage(gzip.compress(LINES))
    expected, damaged = inflate(data, 1 << 30)
    assert damaged
    for size in (1, 2, 7, 100, 4096, len(data)):
        out, error = decode(data, size)
        assert error is not None and out == expected, size


def test_the_ceiling_keeps_exactly_limit_bytes() -> None:
    out, error = decode(gzip.compress(LINES), 4096, limit=1000)
    assert out == LINES[:1000] and error is not None and "MAX_DECOMPRESSED_BYTES" in error


@pytest.mark.parametrize("block_bytes", [1, 5, 64, 1000, 1 << 20])
def test_a_damaged_stream_gives_its_complete_lines_and_one_tail_at_every_block_size(block_bytes: int) -> None:
    data = gzip.compress(LINES)[:-900]
    decoded, _ = inflate(data, 1 << 30)
    items = list(line_blocks(gunzip(iter(chunks(data, 333)), 1 << 30), block_bytes, 4096))
    *blocks, tail = items
    assert isinstance(tail, DamagedTail) and "truncated" in tail.reason
    assert b"".join(b for _, b in blocks) == decoded[: decoded.rfind(b"\n") + 1]  # type: ignore[misc]
    assert tail.line_offset == decoded.count(b"\n") and tail.prefix == decoded[decoded.rfind(b"\n") + 1 :]


def test_nothing_decoded_is_the_whole_object() -> None:
    (tail,) = list(line_blocks(gunzip(iter([b"not gzip"]), 100), 64, 64))
    assert isinstance(tail, DamagedTail) and tail.line_offset is None and "not a valid gzip stream" in tail.reason


def test_a_bom_split_over_chunks_is_still_dropped() -> None:
    assert b"".join(strip_bom(iter([b"\xef", b"\xbb", b"\xbf{}\n"]))) == b"{}\n"
    assert b"".join(strip_bom(iter([b"\xef\xbb"]))) == b"\xef\xbb"


@pytest.mark.parametrize(
    "tricky",
    [
        b"{}{}",
        b"    ",
        b" \t \r",
        b'{"note": 1, "note": 2}',
        b'{"x": NaN}',
        b'{"x": ' + b"9" * 5000 + b"}",
        b"\xef\xbb\xbf{}",
    ],
)
def test_the_fast_path_hands_blocks_it_could_misread_to_the_per_line_path(tricky: bytes) -> None:
    from tests.unit.test_records import CTX, SHIP

    good = json.dumps(SHIP).encode()
    block = b"\n".join([good, tricky, good, good]) + b"\n"
    validator = Validator()
    fast, slow = validator.parse_block(block, 1, CTX), validator.parse_lines(block, 1, CTX)
    assert [r.line for r in fast.rejections] == [r.line for r in slow.rejections]
    rows = [line for ts in fast.tables.values() for t in ts for line in t.column("_source_line").to_pylist()]
    assert sorted(rows) == [1, 3, 4]
