"""Scanning a large NPPES file in several processes, while the importer writes what they found.

Scanning is pure CPU work in Python (about a microsecond per record), so one process reads 1,000,000
records in about a second however fast the rest is. A plain (not zipped) file in the published quoted
layout can be cut anywhere: a line starting with a quoted NPI always starts a record, so each range of
bytes is scanned from the first such line in it to the first such line after it, and consecutive
ranges read every record exactly once. Worker processes (forked, so they share the scanner's known NPIs
without copying them) scan and parse ranges; the importer takes their results in file order, with the
same line numbers, counts and rows a single scan gives, and writes batches while the workers read on.
How far they read ahead is bounded by the rows waiting to be written, so memory stays flat.
"""

import copy
import multiprocessing
import os
import signal
import threading
from array import array
from collections.abc import Iterable, Iterator

from .parse import Reject, Row, Seen, read_record
from .scan import FOUND_FIELDS, Scanner

CHUNK_BYTES = 16 << 20  # one task: big enough to make its overhead negligible, small enough to spread
MIN_BYTES = 64 << 20  # smaller files are scanned in the importing process
MAX_WORKERS = 8

_job = None  # in a worker: (path, scanner), inherited from the parent at the fork


def worker_count() -> int:
    """Processes to scan with: one per CPU this process may use (0 means scan in-process)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus, MAX_WORKERS) if cpus > 1 else 0


class ParallelRecords:
    """The read records (Row, Reject or Seen, in file order, with their line numbers) of the plain NPPES file
    at `path`, scanned by `workers` processes. `read` and `bytes_read` count what was handed out, `found`
    notes the candidates handed out as Scanner.found does.

    `inherited_fds` are descriptors the workers must not keep open (the database connection's socket:
    the server must see it close when the importer dies, whatever its workers do)."""

    def __init__(
        self,
        *,
        path,
        scanner: Scanner,
        workers: int,
        max_rows: int,
        inherited_fds: Iterable[int] = (),
    ):
        size = os.path.getsize(path)
        bounds = list(range(scanner.data_start, size, CHUNK_BYTES)) + [size]
        self._chunks = list(zip(bounds, bounds[1:], strict=False))
        self._max_rows = max_rows
        self._limit_in_flight = 2 * workers
        self.read = 0
        self.bytes_read = scanner.data_start
        self.found = array("q")
        self._done: dict[int, tuple] = {}
        self._waiting_rows = 0
        self._in_flight = 0
        self._submitted = 0
        self._error: BaseException | None = None
        self._condition = threading.Condition()
        # Forked, the workers get these objects as they are: nothing is pickled but their results.
        job = (str(path), scanner)
        self._pool = multiprocessing.get_context("fork").Pool(
            workers, initializer=_start_worker, initargs=(job, tuple(inherited_fds))
        )

    def __iter__(self) -> Iterator[Row | Reject | Seen]:
        line_base = 2  # the header is line 1
        with self._condition:
            self._submit()
        for index, (start, stop) in enumerate(self._chunks):
            with self._condition:
                while index not in self._done and self._error is None:
                    self._condition.wait()
                if self._error is not None:
                    raise self._error
                records, lines, items, found = self._done.pop(index)
                self._waiting_rows -= len(items)
                self._submit()
            for item in items:
                yield item._replace(line_no=line_base + item.line_no)
            found = array("q", found)
            found[::FOUND_FIELDS] = array("q", (line_base + line_no for line_no in found[::FOUND_FIELDS]))
            self.found.extend(found)
            line_base += lines
            self.read += records
            self.bytes_read += stop - start

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def _submit(self) -> None:
        """Hand out ranges while few are in flight and not too many rows wait (the lock is held)."""
        while (
            self._submitted < len(self._chunks)
            and self._in_flight < self._limit_in_flight
            and self._waiting_rows < self._max_rows
            and self._error is None
        ):
            index = self._submitted
            start, stop = self._chunks[index]
            self._pool.apply_async(
                _scan_chunk, (index, start, stop), callback=self._finished, error_callback=self._failed
            )
            self._submitted += 1
            self._in_flight += 1

    def _finished(self, result) -> None:  # in the pool's result thread
        index, *rest = result
        with self._condition:
            self._done[index] = rest
            self._waiting_rows += len(rest[2])
            self._in_flight -= 1
            self._submit()
            self._condition.notify_all()

    def _failed(self, error: BaseException) -> None:  # in the pool's result thread
        with self._condition:
            self._error = error
            self._condition.notify_all()


def _start_worker(job: tuple, inherited_fds: tuple[int, ...]) -> None:
    global _job
    _job = job
    # A fork keeps the parent's Python signal handlers: with the embedded server's (SIGTERM raising
    # SystemExit), the pool's terminate() could wait forever on a worker unwinding from a blocked read.
    # A worker told to stop just stops.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Point the inherited descriptors at /dev/null (closing them would let the numbers be reused under
    # objects that still hold them). A worker whose parent dies sees its task queue end, and exits.
    if inherited_fds:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in inherited_fds:
            os.dup2(null, fd)
        os.close(null)


def _scan_chunk(index: int, start: int, stop: int) -> tuple[int, int, int, list, bytes]:
    path, scanner = _job
    scanner = copy.copy(scanner)
    with open(path, "rb") as stream:
        records, lines, found = scanner.scan_range(stream, start, stop)
    items = []
    for line_no, raw in found:
        parsed = read_record(line_no, raw, scanner)
        if parsed is not None:
            items.append(parsed)
    return index, records, lines, items, scanner.found.tobytes()
