"""One builder of realistic data for the demo, the tests and the benchmarks (so all three see the same shapes)."""
