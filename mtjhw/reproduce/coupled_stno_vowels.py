"""``coupled-stno-vowels``: four coupled spin-torque nano-oscillators classify seven vowels by the pattern of their
synchronisation to two microwave inputs at frequencies mapped from the vowel's formants F1 and F2
(:mod:`mtjhw.networks.coupled_stno`).

The vowels are generated from the adult-female formant means and standard deviations of Hillenbrand et al.'s
(1995) data set (no vowel corpus is installed), or read from its ``vowdata.dat`` (``hillenbrand_file``, the women's
tokens split by talker); training sets the oscillators' DC currents on the ideal model;
the patterns are read from the phase dynamics of the oscillators with thermal noise, mutual coupling and device
spread, and the table of patterns is assigned from the devices' own responses to the training set.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from mtjhw.networks.coupled_stno import (
    VOWELS,
    CodeTable,
    FormantMap,
    OscillatorBank,
    VowelNetwork,
    bayes_limit,
    float_network,
    ideal_bank,
    ideal_codes,
    nearest_prototype,
    nominal_devices,
    train_currents,
    vowel_dataset,
)
from mtjhw.networks.datasets import load_hillenbrand
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor
from mtjhw.simulators.physics.stno import STNO, STNOParams

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test recognition rate of 7 vowels from the synchronisation pattern of 4 coupled STNOs",
         "dataset": "7 vowels (F1, F2) generated from the female statistics of Hillenbrand et al. 1995, or its "
                    "women's tokens with hillenbrand_file (the paper's: the Hillenbrand recordings of 37 female "
                    "speakers)",
         "reference": "review Table 3 (Romera et al., Nature 563, 230 (2018)): four spin-torque nano-oscillators "
                      "coupled by their microwave currents, two RF inputs from the formants, vowel recognition",
         "accuracy": 0.89}
#: the oscillators: a 200 nm pillar (4× the default free-layer volume) with a low resistance-area product
OSCILLATOR = STNOParams(volume=4.8e-23, r_p=100.0)
SEED = 0


def bank_accuracy(currents: np.ndarray, sets: tuple[np.ndarray, ...], params: STNOParams, network: VowelNetwork,
                  sigma_meff: float = 0.0) -> dict[str, float]:
    """One sweep point: train/test accuracy of the oscillators at ``currents`` (the table from the training set's
    patterns on these devices). ``sets``: (f_A, f_B, labels) of the training then the test set."""
    bank = OscillatorBank(nominal_devices(params, sigma_meff=sigma_meff, seed=SEED + 5), currents, network)
    shifts = bank.frequencies - STNO(params).frequency(currents, network.field)
    return {**_evaluate(bank, sets), "rms_frequency_shift_Hz": float(np.sqrt(np.mean(shifts**2)))}


def _evaluate(bank: OscillatorBank, sets: tuple[np.ndarray, ...]) -> dict[str, float]:
    fa, fb, y, ta, tb, yt = sets
    rng = np.random.default_rng(SEED + 7)
    train_codes = bank.codes(fa, fb, rng)
    table = CodeTable(train_codes, y, len(VOWELS))
    test = float(np.mean(table.predict(bank.codes(ta, tb, rng)) == yt))
    return {"accuracy": test, "train_accuracy": float(np.mean(table.predict(train_codes) == y))}


def reproduce_coupled_stno_vowels(out: Path, quick: bool, progress: StepBar, executor: Executor,
                                  hillenbrand_file: str | Path | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    formants, labels, dataset = _data(hillenbrand_file, quick, rng)
    network = VowelNetwork(decision_time=100e-9 if quick else 150e-9, coupling=0.3)
    fmap = FormantMap()
    (fa, fb), (ta, tb) = fmap(formants[0]), fmap(formants[1])
    sets = (fa, fb, labels[0], ta, tb, labels[1])
    spreads = [0.02] if quick else [0.0, 0.005, 0.01, 0.02]
    couplings = [3.0] if quick else [0.0, 0.3, 1.0, 3.0]
    temperatures = [1200.0] if quick else [0.0, 300.0, 600.0, 1200.0]
    progress.expect(3 + len(spreads) + len(couplings) + len(temperatures))
    progress(f"coupled-stno-vowels: training the 4 currents on {len(fa)} generated vowels")
    stno = STNO(OSCILLATOR)
    currents = train_currents(stno, network, fa, fb, labels[0], np.random.default_rng(SEED + 1),
                              n_random=300 if quick else 2000)
    software = float(np.mean(float_network(formants[0], labels[0], formants[1]) == labels[1]))
    prototype = float(np.mean(nearest_prototype(formants[0], labels[0], formants[1]) == labels[1]))
    ideal = _ideal_accuracy(stno, network, currents, sets)
    progress("coupled-stno-vowels: phase dynamics of the coupled oscillators, 300 K")
    bank = OscillatorBank(nominal_devices(OSCILLATOR), currents, network)
    main = _evaluate(bank, sets)
    point = partial(bank_accuracy, currents, sets)
    points = [SweepPoint("sigma_meff", s, f"coupled-stno-vowels: Meff spread {100 * s:g} %",
                         partial(point, OSCILLATOR, network, s)) for s in spreads]
    points += [SweepPoint("coupling", c, f"coupled-stno-vowels: coupling efficiency {c:g}",
                          partial(point, OSCILLATOR, replace(network, coupling=c))) for c in couplings]
    points += [SweepPoint("temperature_K", t, f"coupled-stno-vowels: noise at {t:g} K",
                          partial(point, replace(OSCILLATOR, temperature=t), network)) for t in temperatures]
    sweeps = run_sweeps("coupled-stno-vowels", points, progress, executor)
    _plot(bank, fmap, formants[1], labels[1], sweeps, main["accuracy"], software, 12 if quick else 30,
          out / "report.png")
    duration = network.settle + network.decision_time
    return {
        "name": "coupled-stno-vowels",
        "metric": PAPER["metric"],
        "value": main["accuracy"],
        "paper_value": PAPER["accuracy"],
        "software_value": software,
        "software_value_note": "float 2-4-7 tanh perceptron (as many hidden units as oscillators), same sets",
        "nearest_prototype_value": prototype,
        "bayes_limit": None if hillenbrand_file else bayes_limit(20000, np.random.default_rng(SEED + 11)),
        "bayes_limit_note": "the Bayes classifier of the generating Gaussians (generated data only): no classifier "
                            "of these data beats it",
        "ideal_locking_value": ideal,
        "train_accuracy": main["train_accuracy"],
        "paper": PAPER["reference"],
        "dataset": dataset,
        "settings": {"vowels": list(VOWELS), "currents_A": currents.tolist(),
                     "frequencies_Hz": bank.frequencies.tolist(),
                     "input_locking_half_range_Hz": (bank.input_ranges / (2 * np.pi)).tolist(),
                     "max_coupling_half_range_Hz": float(bank.coupling.max() / (2 * np.pi)),
                     "linewidth_fwhm_Hz": (bank.diffusion / np.pi).tolist(), "field_T": network.field,
                     "input_power_W": network.input_power, "coupling": network.coupling,
                     "decision_time_s": network.decision_time, "settle_s": network.settle, "dt_s": network.dt,
                     "tolerance_Hz": network.tolerance, "formant_map": vars(fmap), "volume_m3": OSCILLATOR.volume,
                     "r_p_ohm": OSCILLATOR.r_p, "seed": SEED},
        "energy": {"dc_power_W": bank.power(), "rf_input_power_W": 2 * network.input_power,
                   "decision_time_s": duration,
                   "energy_per_decision_J": (bank.power() + 2 * network.input_power) * duration},
        "sweeps": sweeps,
    }


def _data(hillenbrand_file: str | Path | None, quick: bool, rng: np.random.Generator):
    """(train, test) formants and labels and their description: generated talkers, or the real women's tokens
    of ``hillenbrand_file`` split by talker, half to each set."""
    if hillenbrand_file is None:
        n_train, n_test = (20, 15) if quick else (60, 60)
        formants, labels = vowel_dataset_pair(n_train, n_test, rng)
        return formants, labels, (f"7 vowels generated from Hillenbrand et al. 1995 (female statistics): {n_train} "
                                  f"train, {n_test} test talkers per vowel")
    tokens, classes, talkers = load_hillenbrand(hillenbrand_file, list(VOWELS))
    speakers = rng.permutation(np.unique(talkers))
    train = np.isin(talkers, speakers[: len(speakers) // 2])
    return ((tokens[train], tokens[~train]), (classes[train], classes[~train]),
            f"Hillenbrand et al. 1995 vowdata.dat, women, 7 vowels: {len(speakers) // 2} train talkers "
            f"({int(train.sum())} tokens), {len(speakers) - len(speakers) // 2} test talkers ({int((~train).sum())})")


def vowel_dataset_pair(n_train: int, n_test: int, rng: np.random.Generator):
    """(train, test) formants and labels, two independent draws of generated talkers."""
    train, test = vowel_dataset(n_train, rng), vowel_dataset(n_test, rng)
    return (train[0], test[0]), (train[1], test[1])


def _ideal_accuracy(stno: STNO, network: VowelNetwork, currents: np.ndarray, sets: tuple[np.ndarray, ...]) -> float:
    """Test accuracy of the noiseless uncoupled locking model at ``currents`` (its own training table)."""
    fa, fb, y, ta, tb, yt = sets
    freqs, ranges = ideal_bank(currents / float(stno.threshold_current(network.field)), stno, network)
    table = CodeTable(ideal_codes(fa, fb, freqs, ranges), y, len(VOWELS))
    return float(np.mean(table.predict(ideal_codes(ta, tb, freqs, ranges)) == yt))


def _plot(bank: OscillatorBank, fmap: FormantMap, formants: np.ndarray, labels: np.ndarray,
          sweeps: dict[str, list[dict[str, Any]]], accuracy: float, software: float, grid: int, path: Path) -> None:
    fig, axes = figure(1, 4, size=(17.0, 4.0))
    lo = np.array([fmap.a_low, fmap.b_low])
    span = np.array([fmap.a_span, fmap.b_span])
    ga, gb = np.meshgrid(*(np.linspace(lo[k], lo[k] + span[k], grid) for k in range(2)))
    codes = bank.codes(ga.ravel(), gb.ravel(), np.random.default_rng(SEED + 9))
    locked = np.sum([(codes // 3**i) % 3 > 0 for i in range(4)], axis=0).reshape(ga.shape)
    ax = axes[0]
    ax.pcolormesh(ga / 1e9, gb / 1e9, locked, cmap="Greys", shading="auto", alpha=0.6)
    fa, fb = fmap(formants)
    for c, name in enumerate(VOWELS):
        ax.scatter(fa[labels == c] / 1e9, fb[labels == c] / 1e9, s=6, label=name)
    for f in bank.frequencies:
        ax.axvline(f / 1e9, color="k", lw=0.4)
        ax.axhline(f / 1e9, color="k", lw=0.4)
    ax.set_xlabel("f_A (GHz, from F1)")
    ax.set_ylabel("f_B (GHz, from F2)")
    ax.set_title("synchronisation map (grey: oscillators locked)", fontsize=9)
    ax.legend(fontsize=6, markerscale=2)
    for ax, (key, label) in zip(axes[1:], (("sigma_meff", "relative spread of μ0Meff"),
                                           ("coupling", "coupling efficiency"),
                                           ("temperature_K", "temperature (K)")), strict=True):
        pts = sweeps[key]
        ax.plot([p["x"] for p in pts], [100 * p["accuracy"] for p in pts], "o-", label="coupled STNOs")
        ax.axhline(100 * software, color="tab:green", ls=":", label="float 2-4-7 network (ours)")
        ax.axhline(100 * PAPER["accuracy"], color="grey", ls="--", lw=0.8, label="paper 89 %")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"4 coupled STNOs, 7 vowels: {100 * accuracy:.1f} % (float 2-4-7 network {100 * software:.1f} %)")
    fig.savefig(path, dpi=110)
