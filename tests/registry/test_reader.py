"""The scanner that drops non-matching records before parsing: whole records, right line numbers, whatever
the block size, including quoted fields that run over several lines."""

import csv
import io

import pytest

from apps.registry.pipeline import parse, scan, sources
from apps.registry.pipeline.parse import Reject, parse_record
from apps.registry.pipeline.scan import Columns, Scanner

from .nppes_files import csv_text, deactivated_row, npi, row

CODES = frozenset({"207RX0202X", "2085R0001X"})


def mixed_rows() -> list[dict]:
    rows = []
    for n in range(1, 41):
        if n % 7 == 0:
            rows.append(row(npi(n), codes=(("2085R0001X", "Y"),), line2=f"SUITE {n}\r\nSECOND LINE\nTHIRD"))
        elif n % 5 == 0:
            rows.append(row(npi(n), codes=(("207Q00000X", "Y"),), line2='a "quoted"\r\nline with 207RX0202X'))
        elif n % 3 == 0:
            rows.append(row(npi(n)))
        elif n == 8:
            rows.append(deactivated_row(npi(n)))
        else:
            rows.append(row(npi(n), codes=(("363L00000X", "Y"),), last=f"NURSE{n}"))
    return rows


def mixed_file() -> str:
    return csv_text(mixed_rows())


def expected_candidates(text: str) -> list[tuple[int, str]]:
    """(line number, NPI) of the records a full csv parse finds holding a wanted code or a known NPI."""
    found = []
    lines = io.StringIO(text, newline="")
    records = csv.reader(lines)
    next(records)
    line_no = 2
    for record in records:
        joined = ",".join(record)
        if any(code in joined for code in CODES) or record[0] == npi(8):
            found.append((line_no, record[0]))
        line_no = records.line_num + 1
    return found


@pytest.mark.parametrize("block_size", [1, 7, 64, 333, 4096, 1 << 20], ids=lambda size: f"block-{size}")
def test_scanner_yields_whole_candidate_records_with_line_numbers(monkeypatch, block_size):
    # Given a file mixing matching, non-matching, multi-line and deactivated records
    text = mixed_file()
    monkeypatch.setattr(scan, "BLOCK_SIZE", block_size)

    # When it is scanned in blocks of any size
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES, known_npis=frozenset({npi(8)}))
    found = list(scanner.candidates())

    # Then exactly the records a full parse would pick come out, whole, with their first line's number
    assert [(line_no, raw[1:11].decode()) for line_no, raw in found] == expected_candidates(text)
    assert scanner.read == 40
    for _, raw in found:
        assert len(next(csv.reader([raw.decode()]))) == 330


def test_scanner_limit_counts_records_not_lines():
    text = mixed_file()
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES)

    found = list(scanner.candidates(limit=7))

    assert scanner.read == 7
    # npi 5 holds a wanted code in a free-text field: a candidate, which parsing then drops
    assert [raw[1:11].decode() for _, raw in found] == [npi(3), npi(5), npi(6), npi(7)]


def test_file_without_final_newline_keeps_its_last_record():
    text = csv_text([row(npi(1)), row(npi(2))]).rstrip("\r\n")
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES)

    assert [raw[1:11].decode() for _, raw in scanner.candidates()] == [npi(1), npi(2)]
    assert scanner.read == 2


def test_unterminated_quote_at_the_end_is_rejected_not_fatal():
    text = csv_text([row(npi(1))]) + f'"{npi(2)}","1","207RX0202X","unterminated\r\n'
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES)
    found = list(scanner.candidates())

    results = [
        parse_record(line_no, raw, scanner.columns, codes=CODES, known_npis=frozenset(), states=frozenset({"NY"}))
        for line_no, raw in found
    ]

    assert results[0].npi == npi(1)
    assert results[1] == Reject(3, npi(2), parse.REJECT_UNTERMINATED)


def test_columns_are_found_by_name_in_either_layout():
    current = Columns.from_header(csv_text([]).encode())
    older = Columns.from_header(csv_text([], current=False).encode())

    assert (current.count, older.count) == (330, 329)
    assert current.sex == older.sex == 41
    assert current.taxonomy_slots[0] == (47, 50)


@pytest.mark.parametrize(
    ("postal", "expected"),
    [
        pytest.param("100656007", "10065-6007", id="nine-digits"),
        pytest.param("10065", "10065", id="five-digits"),
        pytest.param("10065-6007", "10065-6007", id="with-dash"),
        pytest.param("M5V 2T6", "", id="foreign"),
        pytest.param("1006", "", id="short"),
    ],
)
def test_postal_codes(postal, expected):
    text = csv_text([row(npi(1), postal=postal)])
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES)
    line_no, raw = next(scanner.candidates())

    parsed = parse_record(line_no, raw, scanner.columns, codes=CODES, known_npis=frozenset(), states=frozenset({"NY"}))

    assert parsed.zip_code == expected
    assert parsed.address_line1 == ("1275 YORK AVE" if expected else "")


def test_primary_falls_back_to_the_first_oncology_code_when_nppes_marks_another_primary():
    text = csv_text([row(npi(1), codes=(("207R00000X", "Y"), ("2085R0001X", "N"), ("207RX0202X", "N")))])
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES)
    line_no, raw = next(scanner.candidates())

    parsed = parse_record(line_no, raw, scanner.columns, codes=CODES, known_npis=frozenset(), states=frozenset())

    assert (parsed.specialties, parsed.primary_specialty) == (("207RX0202X", "2085R0001X"), "2085R0001X")


def test_organisations_are_not_ours():
    text = csv_text([row(npi(1), entity="2")])
    scanner = Scanner(io.BytesIO(text.encode()), codes=CODES)
    line_no, raw = next(scanner.candidates())

    assert parse_record(line_no, raw, scanner.columns, codes=CODES, known_npis=frozenset(), states=frozenset()) is None


def broken_file() -> str:
    """mixed_file with a record whose quote never closes in the middle: it ends where the next line
    starts with a quoted NPI, and the records after it are read as usual."""
    rows = mixed_rows()
    head = csv_text(rows[:20])
    tail = csv_text(rows[20:]).split("\r\n", 1)[1]  # without its header
    return head + f'"{npi(90)}","1","","","","BROKEN","ROW","207RX0202X","unterminated\r\n' + tail


def test_a_record_never_runs_over_a_line_starting_with_a_quoted_npi():
    scanner = Scanner(io.BytesIO(broken_file().encode()), codes=CODES, known_npis=frozenset({npi(8)}))
    found = list(scanner.candidates())

    line_no = csv_text(mixed_rows()[:20]).count("\n") + 1
    broken = [(at, raw) for at, raw in found if raw.startswith(f'"{npi(90)}"'.encode())]
    assert [at for at, _ in broken] == [line_no]
    assert scanner.read == 41
    parsed = parse_record(*broken[0], scanner.columns, codes=CODES, known_npis=frozenset(), states=frozenset())
    assert parsed == Reject(line_no, npi(90), parse.REJECT_UNTERMINATED)
    # And the records after it are all there, whole
    assert [raw[1:11].decode() for _, raw in found if not raw.startswith(f'"{npi(90)}"'.encode())] == [
        found_npi for _, found_npi in expected_candidates(mixed_file())
    ]


@pytest.mark.parametrize("block_size", [64, 1 << 18], ids=lambda size: f"block-{size}")
@pytest.mark.parametrize("chunk_bytes", [97, 700, 5000, 1 << 20], ids=lambda size: f"chunk-{size}")
@pytest.mark.parametrize("text", [mixed_file(), broken_file()], ids=["mixed", "broken"])
def test_parallel_scan_reads_exactly_what_one_scan_reads(monkeypatch, tmp_path, chunk_bytes, block_size, text):
    from apps.registry.pipeline import parallel

    # Given a file cut into ranges of any size, across records of one or more lines, read in any blocks
    path = tmp_path / "npidata.csv"
    path.write_bytes(text.encode())
    monkeypatch.setattr(parallel, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(scan, "BLOCK_SIZE", block_size)
    known = frozenset({npi(8)})
    states = frozenset({"NY"})

    # When worker processes scan the ranges, and one scan reads the whole file
    with path.open("rb") as stream:
        one = sources.ScannedRecords(Scanner(stream, codes=CODES, states=states, known_npis=known))
        expected = list(one)
    with path.open("rb") as stream:
        records = parallel.ParallelRecords(
            path=path,
            scanner=Scanner(stream, codes=CODES, states=states, known_npis=known),
            workers=2,
            max_rows=3,
        )
        try:
            found = list(records)
        finally:
            records.close()

    # Then the same rows and rejects come out, in the same order, with the same line numbers and counts
    assert found == expected
    assert len(expected) > 10
    assert (records.read, records.bytes_read) == (one.read, len(text.encode()))


def test_scan_workers_take_sigterm_as_told_whatever_the_importer_does_with_it(tmp_path):
    import signal
    import sys
    import time

    from apps.registry.pipeline import parallel

    path = tmp_path / "npidata.csv"
    path.write_bytes(mixed_file().encode())
    # Given an importer that turns SIGTERM into an exception, as the embedded server's set-up does
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with path.open("rb") as stream:
            records = parallel.ParallelRecords(path=path, scanner=Scanner(stream, codes=CODES), workers=2, max_rows=3)
            try:
                # Then its scan workers have SIGTERM's default action: terminate() ends them at once
                # (with the inherited handler, it could wait forever on one unwinding from a blocked read)
                assert {records._pool.apply(signal.getsignal, (signal.SIGTERM,)) for _ in range(4)} == {signal.SIG_DFL}
                next(iter(records))  # a scan in flight
            finally:
                started = time.monotonic()
                records.close()
            assert time.monotonic() - started < 10
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_the_three_record_sources_implement_the_declared_protocol(tmp_path):
    from array import array

    from apps.registry.models import ScannedFile
    from apps.registry.pipeline import memo, parallel

    path = tmp_path / "npidata.csv"
    path.write_bytes(mixed_file().encode())
    nothing_found = ScannedFile(found=memo._packed(array("q")), records=0, size=0)
    with path.open("rb") as stream:
        scanner = Scanner(stream, codes=CODES)
        made = [
            sources.ScannedRecords(scanner),
            parallel.ParallelRecords(path=path, scanner=scanner, workers=1, max_rows=3),
            memo.RecalledRecords(path=path, memo=nothing_found, scanner=scanner),
        ]
    try:
        assert [isinstance(source, sources.RecordSource) for source in made] == [True, True, True]
    finally:
        for source in made:
            source.close()
