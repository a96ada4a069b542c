"""A continuous attractor neural network (CANN) on a ring of domain-wall MTJ LIF neurons tracking moving targets.

``n`` neurons with preferred angles θ_i = 2πi/n are coupled by a Mexican hat (difference of Gaussians of the
angular distance: local excitation, broader inhibition), so activity forms bumps whose shape the recurrence sets
and whose positions follow Gaussian external inputs centred on the targets. The network runs in time steps
of ``dt``: each neuron's pre-activation a_i = Σ_j J_ij s_j + u_i(t) + ``bias`` is the current
I_rh + ``current_scale``·a_i into a DW-MTJ neuron (:class:`~mtjhw.networks.dw_snn.DomainWallLifArray`:
device-to-device spreads of the threshold position and mobility, cycle-to-cycle threshold spread), whose spikes,
in units of its rate at a = 1, are low-pass filtered with ``tau_synapse`` into the synaptic activity s_j. The
ideal reference runs the same equations with float rate neurons, τ_syn ds/dt = −s + φ(a), φ the nominal DW
neuron's f–I curve (:func:`~mtjhw.networks.dw_snn.dw_activation`): no spikes, no device spread. (A ReLU would
not do: the recurrent gain of the bump mode is above 1, so only a saturating f–I curve, here the saturation the
reset's refractory time gives, bounds the bump; that is what makes it an attractor.)

``bias`` < 0 holds the idle neurons below their rheobase, so that devices with a low one do not nucleate bumps
of their own (a bump, once there, sustains itself). A bump's position is the population vector of s over the
sector of the ring nearer its target than any other (all of it for one target, ±90° for two), so a spurious bump
counts against tracking; the tracking error is its wrapped angular distance to the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtjhw.simulators.physics.lif import LifParams

from .dw_snn import DomainWallLifArray, dw_activation, layer_current, reference_rate


def ring_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed angular difference a − b wrapped into [−π, π) (rad)."""
    return (np.asarray(a) - np.asarray(b) + np.pi) % (2 * np.pi) - np.pi


@dataclass(frozen=True)
class Targets:
    """``count`` targets evenly spaced on the ring from ``start`` (rad), all moving at ``speed`` (rad/s)."""

    count: int = 1
    speed: float = 0.3e6
    start: float = 0.0

    def angles(self, t: float) -> np.ndarray:
        return (self.start + self.speed * t + 2 * np.pi * np.arange(self.count) / self.count) % (2 * np.pi)


@dataclass(frozen=True)
class TrackingRun:
    """One simulation: time (s), targets and decoded bump positions (steps, targets; rad), activity
    (steps, n), the energy (J) and the spikes of all neurons over the run."""

    time: np.ndarray
    targets: np.ndarray
    bumps: np.ndarray
    activity: np.ndarray
    energy: float
    spikes: int

    def errors(self, settle: float) -> np.ndarray:
        """|bump − target| (rad) for the steps after ``settle`` (s)."""
        return np.abs(ring_distance(self.bumps, self.targets))[self.time >= settle]


@dataclass
class RingCANN:
    """The ring network (see the module docstring); ``neuron`` "dw" (DW-MTJ LIF) or "rate" (ideal float)."""

    n: int = 64
    neuron: str = "dw"
    j_excite: float = 0.45  #: peak excitatory coupling (per unit of s)
    width_excite: float = 0.25  #: rad
    j_inhibit: float = 0.12
    width_inhibit: float = 0.8  #: rad
    input_amplitude: float = 1.5
    input_width: float = 0.3  #: rad
    bias: float = -0.2  #: pre-activation of an idle neuron
    tau_synapse: float = 20e-9  #: s
    dt: float = 1e-9  #: s
    current_scale: float = 50e-6  #: A per unit of pre-activation
    sigma_position: float = 0.05
    sigma_mobility: float = 0.05
    sigma_cycle: float = 0.02
    seed: int = 0

    def __post_init__(self) -> None:
        if self.neuron not in ("dw", "rate"):
            raise ValueError(f"neuron must be 'dw' or 'rate', got {self.neuron!r}")
        self.angles = 2 * np.pi * np.arange(self.n) / self.n
        d = ring_distance(self.angles[:, None], self.angles[None, :])
        self.weights = (self.j_excite * np.exp(-d**2 / (2 * self.width_excite**2))
                        - self.j_inhibit * np.exp(-d**2 / (2 * self.width_inhibit**2)))

    @property
    def spacing(self) -> float:
        """Angle between neighbouring neurons, rad."""
        return 2 * np.pi / self.n

    def external_input(self, targets: np.ndarray) -> np.ndarray:
        """Sum of Gaussian bumps of input centred on the ``targets`` (rad)."""
        d = ring_distance(self.angles[:, None], np.asarray(targets)[None, :])
        return self.input_amplitude * np.exp(-d**2 / (2 * self.input_width**2)).sum(axis=1)

    def decode(self, activity: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Bump positions (rad, steps × targets): population vectors of ``activity`` (steps, n) within
        ±180°/targets of each target (``targets``: steps × targets)."""
        sector = np.pi / targets.shape[1]
        near = np.abs(ring_distance(self.angles[None, :, None], targets[:, None, :])) <= sector
        vector = np.einsum("sn,snk->sk", activity * np.exp(1j * self.angles), near)
        return np.angle(vector) % (2 * np.pi)

    def track(self, targets: Targets, duration: float) -> TrackingRun:
        """Run for ``duration`` (s) with the inputs on the moving ``targets``."""
        params = LifParams(sigma_threshold=self.sigma_cycle)
        neurons = DomainWallLifArray(params, (self.n,), np.random.default_rng(self.seed),
                                     sigma_position=self.sigma_position, sigma_mobility=self.sigma_mobility)
        r_ref = reference_rate(params, self.current_scale)
        decay = np.exp(-self.dt / self.tau_synapse)
        steps = int(round(duration / self.dt))
        s = np.zeros(self.n)
        time, where, activity = np.arange(steps) * self.dt, [], []
        for t in time:
            goal = targets.angles(t)
            a = self.weights @ s + self.external_input(goal) + self.bias
            if self.neuron == "rate":
                drive = dw_activation(params, a, self.current_scale)[0]
            else:
                drive = neurons.step(layer_current(params, a, self.current_scale), self.dt) / (r_ref * self.dt)
            s = decay * s + (1 - decay) * drive
            where.append(goal)
            activity.append(s)
        energy = float(neurons.energy.sum()) if self.neuron == "dw" else 0.0
        goals, activity = np.array(where), np.array(activity)
        return TrackingRun(time, goals, self.decode(activity, goals), activity, energy, neurons.spikes)
