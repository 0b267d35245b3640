"""Programs that drive the hub from outside: the demo and the benchmarks."""
