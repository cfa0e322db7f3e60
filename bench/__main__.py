"""`python -m bench`: every benchmark, printing its figures."""

from bench import stream_sync

stream_sync.main()
