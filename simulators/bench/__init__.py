"""The virtual probe station shared by the virtual instruments: DUT models, magnet, clock."""

from .bench import VirtualBench
from .bias import Bias
from .magnet import Electromagnet
from .pmtj import PerpendicularMTJ

__all__ = ["Bias", "Electromagnet", "PerpendicularMTJ", "VirtualBench"]
