"""The rejects file of an import: each rejected record's line, NPI and reason (or the columns an import
names: the trials import writes file and reason)."""

import csv
from pathlib import Path

from .parse import Reject


class Rejects:
    """The rejects CSV (line, NPI, reason), opened on the first reject unless a path was asked for."""

    def __init__(self, path: Path | None, default: Path, header: tuple[str, ...] = ("line", "npi", "reason")):
        self.path = path or default
        self.header = header
        self._file = None
        self._writer = None
        if path is not None:
            self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.header)

    def write(self, reject: Reject) -> None:
        self.add(reject.line_no, reject.npi, reject.reason)

    def add(self, *values) -> None:
        """One rejected record, as the header's columns."""
        if self._writer is None:
            self._open()
        self._writer.writerow(values)

    @property
    def written(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
