"""A recurrent network of superparamagnetic-MTJ neurons: ``hidden`` recurrent sMTJs and ``n_out`` output sMTJs.

At every step t the hidden junctions are driven by the currents of z_t = W_x·x_t + W_h·ĥ_{t−1} + b (x_t one-hot
input, ĥ_{t−1} the hidden state of the step before) and read ``reads`` times; ĥ_t is the fraction of reads in P
(a counter per neuron). The output junctions are driven by W_o·ĥ_t + b_o and read as often; the prediction is
the output read P most often (ties broken at random). Each output's firing probability σ(z) is trained to be the
probability that its category comes next (binary cross-entropy on the observed next input), so the nominal
network's most probable category is the one the counters pick out.

Training is offline, back-propagation through time in numpy; with ``reads`` > 0 the forward pass draws ĥ_t as a
binomial count of ``reads`` nominal-neuron samples (straight-through σ' backwards) so the weights learn a memory
that survives the sampling noise; with ``reads`` = 0 it is the float network (the software ceiling). Devices,
reads and energies are those of :mod:`mtjhw.networks.stochastic_neurons`; each read's state is drawn from the
junction's Néel–Brown occupation (:meth:`SmtjNeurons.count`: reads are independent at the nominal t_read).
"""

from __future__ import annotations

import numpy as np

from .adam import Adam
from .stochastic_neurons import SmtjNeurons, sigmoid, synapse_energy


class StochasticRNN:
    """One-hot inputs of ``n_in`` categories → ``hidden`` recurrent stochastic neurons → ``n_out`` outputs."""

    def __init__(self, n_in: int = 10, hidden: int = 64, n_out: int = 10, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.sizes = (n_in, hidden, n_out)
        self.w_in = rng.normal(0, 1, (n_in, hidden))
        self.w_rec = rng.normal(0, 1 / np.sqrt(hidden), (hidden, hidden))
        self.b = np.zeros(hidden)
        self.w_out = rng.normal(0, 1 / np.sqrt(hidden), (hidden, n_out))
        self.b_out = np.zeros(n_out)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.w_in, self.w_rec, self.b, self.w_out, self.b_out]

    def train(self, sequences: np.ndarray, epochs: int = 30, lr: float = 0.01, batch: int = 32, reads: int = 0,
              seed: int = 0) -> None:
        """Fit to predict each next element of ``sequences`` (n, T) of category indices."""
        rng = np.random.default_rng(seed)
        adam = Adam(self.params, lr)
        x = np.eye(self.sizes[0])[sequences]
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
                adam.update(self._gradients(x[idx], reads, rng))

    def _gradients(self, x: np.ndarray, reads: int, rng: np.random.Generator) -> list[np.ndarray]:
        n, steps = x.shape[0], x.shape[1] - 1
        states, probs = [np.zeros((n, self.sizes[1]))], []
        for t in range(steps):
            p = sigmoid(x[:, t] @ self.w_in + states[-1] @ self.w_rec + self.b)
            probs.append(p)
            states.append(rng.binomial(reads, p) / reads if reads else p)
        g = [np.zeros_like(p) for p in self.params]
        dh = np.zeros_like(states[0])
        for t in range(steps - 1, -1, -1):
            h = states[t + 1]
            d = (sigmoid(h @ self.w_out + self.b_out) - x[:, t + 1]) / (n * steps)
            g[3] += h.T @ d
            g[4] += d.sum(axis=0)
            dz = (dh + d @ self.w_out.T) * probs[t] * (1 - probs[t])
            g[0] += x[:, t].T @ dz
            g[1] += states[t].T @ dz
            g[2] += dz.sum(axis=0)
            dh = dz @ self.w_rec.T
        return g

    def probabilities(self, sequences: np.ndarray) -> np.ndarray:
        """(n, T − 1, n_out) output firing probabilities of the float network after each input but the last."""
        x = np.eye(self.sizes[0])[sequences]
        h = np.zeros((len(x), self.sizes[1]))
        out = []
        for t in range(x.shape[1] - 1):
            h = sigmoid(x[:, t] @ self.w_in + h @ self.w_rec + self.b)
            out.append(sigmoid(h @ self.w_out + self.b_out))
        return np.stack(out, axis=1)

    def sample_predictions(self, sequences: np.ndarray, hidden: SmtjNeurons, outputs: SmtjNeurons, reads: int,
                           rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """((n, T − 1) predicted next categories from the sampled junctions, mean energy (J) per prediction:
        ``reads`` reads of every hidden and output junction plus the synaptic currents)."""
        x = np.eye(self.sizes[0])[sequences]
        n = len(x)
        h = np.zeros((n, self.sizes[1]))
        predictions, energy = np.empty((n, x.shape[1] - 1), dtype=int), 0.0
        for t in range(x.shape[1] - 1):
            inputs = np.concatenate([x[:, t], h], axis=1)
            z = inputs @ np.concatenate([self.w_in, self.w_rec]) + self.b
            energy += reads * synapse_energy(inputs, np.concatenate([self.w_in, self.w_rec]),
                                             hidden.params.current_scale, hidden.params.t_read).sum()
            count, e_h = hidden.count(z, reads, rng)
            h = count / reads
            z_out = h @ self.w_out + self.b_out
            energy += reads * synapse_energy(h, self.w_out, outputs.params.current_scale,
                                             outputs.params.t_read).sum()
            count, e_o = outputs.count(z_out, reads, rng)
            predictions[:, t] = np.argmax(count + 0.5 * rng.random(count.shape), axis=1)
            energy += float(e_h.sum() + e_o.sum())
        return predictions, energy / predictions.size
