"""mtjhw: hardware-in-the-loop framework for MTJ and STNO neuromorphic devices."""

__version__ = "0.1.0"
