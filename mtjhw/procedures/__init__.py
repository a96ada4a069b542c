"""Measurement procedures, by the name ``mtjhw run`` knows them."""

from .astroid import Astroid
from .base import BenchProcedure
from .breakdown import Breakdown
from .hard_axis import HardAxis
from .lif_neuron import LifNeuron
from .neuron_transfer import NeuronTransfer
from .noise_psd import NoisePsd
from .rh_loop import RHLoop
from .rv_loop import RVLoop
from .sot_switching import SOTSwitching
from .st_fmr import StFmr
from .stno_spectrum import StnoSpectrum
from .switching_probability import SwitchingProbability
from .synapse_ltp_ltd import SynapseLtpLtd
from .telegraph import Telegraph
from .thermal_stability import ThermalStability

PROCEDURES: dict[str, type[BenchProcedure]] = {
    cls.name: cls for cls in (RHLoop, RVLoop, SwitchingProbability, Telegraph, NeuronTransfer, SynapseLtpLtd,
                              StnoSpectrum, StFmr, SOTSwitching, NoisePsd,
                              Breakdown, HardAxis, Astroid, ThermalStability, LifNeuron)
}

__all__ = ["PROCEDURES", "BenchProcedure", "LifNeuron", "NeuronTransfer", "NoisePsd", "RHLoop", "RVLoop", "StFmr",
           "StnoSpectrum", "SwitchingProbability", "SynapseLtpLtd", "Telegraph"]
