"""The home dashboard: the top of the dependency graph, gathering one card from each domain."""
