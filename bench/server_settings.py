"""cephalog's settings, with the baseline views of bench/server.py added to the URLs."""

from cephalog.settings import *  # noqa: F403

ROOT_URLCONF = "bench.server_urls"
