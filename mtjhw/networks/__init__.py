"""Hardware-aware network models whose devices are the simulated MTJs and STNOs of :mod:`mtjhw.simulators.physics`."""
