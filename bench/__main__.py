"""`python -m bench`: every benchmark, printing its figures."""

from bench import failback_relapse, failover_rto, follow_agents, stream_sync

stream_sync.main()
print()
failover_rto.main()
print()
failback_relapse.main()
print()
follow_agents.main()
