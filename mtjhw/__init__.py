"""mtjhw: hardware-in-the-loop framework for MTJ and STNO neuromorphic devices."""

from importlib import metadata

try:
    __version__ = metadata.version("mtjhw")  # set from the git tag when the package is built
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
