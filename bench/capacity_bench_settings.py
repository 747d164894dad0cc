"""Settings for bench/capacity_bench.py only: the production settings (from the environment) plus the trivial
baseline view of bench/api_bench_urls.py. Unlike api_bench_settings, the rate limits and the request log stay
on: their cost is part of a worker's capacity."""

from oncodir.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_bench_urls"
