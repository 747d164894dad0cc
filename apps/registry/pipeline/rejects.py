"""The rejects file of an import: each rejected record's line, NPI and reason."""

import csv
from pathlib import Path

from .parse import Reject


class Rejects:
    """The rejects CSV (line, NPI, reason), opened on the first reject unless a path was asked for."""

    def __init__(self, path: Path | None, default: Path):
        self.path = path or default
        self._file = None
        self._writer = None
        if path is not None:
            self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["line", "npi", "reason"])

    def write(self, reject: Reject) -> None:
        if self._writer is None:
            self._open()
        self._writer.writerow([reject.line_no, reject.npi, reject.reason])

    @property
    def written(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
