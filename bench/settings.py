"""Benchmark settings: the project's, plus a bare view that returns cached bytes."""
from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
