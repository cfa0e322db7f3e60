"""`python -m bench`: every benchmark, printing its figures."""

from bench import failover_rto, stream_sync

stream_sync.main()
print()
failover_rto.main()
