"""Measurement procedures, by the name ``mtjhw run`` knows them."""

from .base import BenchProcedure
from .rh_loop import RHLoop
from .rv_loop import RVLoop
from .switching_probability import SwitchingProbability
from .telegraph import Telegraph

PROCEDURES: dict[str, type[BenchProcedure]] = {cls.name: cls for cls in (RHLoop, RVLoop, SwitchingProbability,
                                                                             Telegraph)}

__all__ = ["PROCEDURES", "BenchProcedure", "RHLoop", "RVLoop", "SwitchingProbability", "Telegraph"]
