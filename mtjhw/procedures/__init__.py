"""Measurement procedures, by the name ``mtjhw run`` knows them."""

from .base import BenchProcedure
from .neuron_transfer import NeuronTransfer
from .rh_loop import RHLoop
from .rv_loop import RVLoop
from .sot_switching import SOTSwitching
from .st_fmr import StFmr
from .stno_spectrum import StnoSpectrum
from .switching_probability import SwitchingProbability
from .synapse_ltp_ltd import SynapseLtpLtd
from .telegraph import Telegraph

PROCEDURES: dict[str, type[BenchProcedure]] = {
    cls.name: cls for cls in (RHLoop, RVLoop, SwitchingProbability, Telegraph, NeuronTransfer, SynapseLtpLtd,
                              StnoSpectrum, StFmr, SOTSwitching)
}

__all__ = ["PROCEDURES", "BenchProcedure", "NeuronTransfer", "RHLoop", "RVLoop", "StFmr", "StnoSpectrum",
           "SwitchingProbability", "SynapseLtpLtd", "Telegraph"]
