"""The rigs tests share: broker, hub and satellite processes, simulated satellites, fakes."""
