"""The import's progress bar."""

import sys
import time
from dataclasses import dataclass


@dataclass
class Progress:
    """tqdm over the file's bytes, showing records per second; silent when disabled."""

    bar: object = None
    started: float = 0.0

    @classmethod
    def start(cls, total: int, enabled: bool) -> "Progress":
        if not enabled:
            return cls()
        from tqdm import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True)
        return cls(bar=bar, started=time.monotonic())

    def update(self, done: int, rows: int) -> None:
        if self.bar is None:
            return
        self.bar.update(done - self.bar.n)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.bar.set_postfix_str(f"{rows:,} rows, {rows / elapsed:,.0f} rows/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
