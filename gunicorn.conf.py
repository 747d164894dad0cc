"""gunicorn's settings, read from the working directory (the Dockerfile's CMD runs there).

With PROMETHEUS_MULTIPROC_DIR set, the workers write their metrics to files in that directory
(apps/common/metrics.py): start each run with none left from the last, and drop a dead worker's live gauges
(its counters stay in the totals, as Prometheus expects of a counter)."""

import os
from pathlib import Path

from prometheus_client import multiprocess


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):  # only prometheus_client's own files
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
