"""One builder of realistic data for the demo, the tests and the benchmarks (STYLE: same shapes)."""
