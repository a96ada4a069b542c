"""``stno-reservoir``: one spin-torque oscillator with delayed feedback classifies sine vs square waveforms;
beside it, the same task on a physical reservoir of superparamagnetic MTJs (sMTJ nodes)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from mtjhw.networks.echo_state import EchoStateNetwork
from mtjhw.networks.reservoir import SmtjReservoir, StnoReservoir, classify_waveforms, default_stno
from mtjhw.plotting import figure
from mtjhw.progress import StepBar
from mtjhw.scaleout import Executor

from .sweeps import SweepPoint, run_sweeps

PAPER = {"metric": "test accuracy (per sample)",
         "dataset": "sine and square waveforms (generated)",
         "reference": "review Table 3: single STNO reservoir with delayed feedback (time multiplexing), "
                      "sine/square waveform classification", "accuracy": 0.9984}


def stno_point(periods: int, temperature: float = 300.0, **reservoir: Any) -> dict[str, float]:
    """One sweep point: the STNO reservoir at ``temperature`` (K) with ``reservoir`` options (adc_bits)."""
    return classify_waveforms(StnoReservoir(default_stno(temperature), **reservoir), n_periods=periods)


def smtj_point(periods: int, sigma_delta: float) -> dict[str, float]:
    """One sweep point: the sMTJ reservoir with a relative spread ``sigma_delta`` of Δ."""
    return classify_waveforms(SmtjReservoir(sigma_delta=sigma_delta), n_periods=periods, **SMTJ_READOUT)


def energy(reservoir: StnoReservoir) -> dict[str, float]:
    """DC power I²·R(I) of the oscillator at its bias point times the time of one input sample (all its virtual
    nodes); the input modulation averages out to first order. The power detector, ADC and readout are left out."""
    current = reservoir.i_dc * reservoir.i_th
    power = current**2 * float(reservoir.stno.resistance(current))
    sample_time = reservoir.n_virtual * reservoir.steps_per_node * reservoir.dt
    return {"energy_per_sample_J": power * sample_time, "dc_power_W": power, "sample_time_s": sample_time}


def reproduce_stno_reservoir(out: Path, quick: bool, progress: StepBar, executor: Executor) -> dict[str, Any]:
    periods = 120 if quick else 400
    temperatures = [300.0, 600.0] if quick else [77.0, 300.0, 450.0, 600.0]
    adc_bits = [4, 8] if quick else [3, 4, 6, 8]
    sigmas = [0.0, 0.2] if quick else [0.0, 0.1, 0.2, 0.3]
    progress.expect(4 + len(temperatures) + len(adc_bits) + len(sigmas))
    reservoir = StnoReservoir(default_stno())
    progress(f"stno-reservoir: {periods} waveform periods, {reservoir.n_virtual} virtual nodes")
    main = classify_waveforms(reservoir, n_periods=periods)
    progress(f"stno-reservoir: software ceiling, a {reservoir.n_virtual}-node echo-state network")
    software = classify_waveforms(EchoStateNetwork(n_nodes=reservoir.n_virtual), n_periods=periods)
    smtj = SmtjReservoir()
    progress(f"stno-reservoir: sMTJ reservoir of {smtj.n_nodes}×{smtj.devices_per_node} junctions")
    smtj_main = classify_waveforms(smtj, n_periods=periods, **SMTJ_READOUT)
    points = [SweepPoint("temperature_K", temperature, f"stno-reservoir: temperature {temperature:g} K",
                         partial(stno_point, periods, temperature)) for temperature in temperatures]
    points += [SweepPoint("adc_bits", bits, f"stno-reservoir: {bits}-bit readout",
                          partial(stno_point, periods, adc_bits=bits)) for bits in adc_bits]
    points += [SweepPoint("smtj_sigma_delta", sigma, f"stno-reservoir: sMTJ reservoir, Δ spread {sigma:g}",
                          partial(smtj_point, periods, sigma)) for sigma in sigmas]
    sweeps = run_sweeps("stno-reservoir", points, progress, executor)
    _plot(sweeps, main["accuracy"], out / "report.png")
    return {
        "name": "stno-reservoir",
        "metric": PAPER["metric"],
        "value": main["accuracy"],
        "paper_value": PAPER["accuracy"],
        "software_value": software["accuracy"],
        "paper": PAPER["reference"],
        "dataset": PAPER["dataset"],
        "energy": energy(reservoir),
        "train_accuracy": main["train_accuracy"],
        "test_samples": main["test_samples"],
        "settings": {"n_virtual": reservoir.n_virtual, "theta_relax": reservoir.theta_relax,
                     "i_dc_over_i_th": reservoir.i_dc, "i_in_over_i_th": reservoir.i_in,
                     "feedback": reservoir.feedback, "field_T": reservoir.field, "periods": periods,
                     "points_per_period": 8, "node_time_s": reservoir.dt * reservoir.steps_per_node},
        "smtj_reservoir": {"accuracy": smtj_main["accuracy"], "train_accuracy": smtj_main["train_accuracy"],
                           "settings": {"n_nodes": smtj.n_nodes, "devices_per_node": smtj.devices_per_node,
                                        "delta": smtj.delta, "window_dwell_times": smtj.window,
                                        "i_in_over_ic0": smtj.i_in, "bias_over_ic0": smtj.i_bias,
                                        "window_s": smtj.window * smtj.dwell, **SMTJ_READOUT}},
        "sweeps": sweeps,
    }


SMTJ_READOUT = {"reservoir_history": 3, "alpha": 1e-2}  # noisier nodes: a longer embedding, more ridge


def _plot(sweeps: dict[str, list[dict[str, float]]], accuracy: float, path: Path) -> None:
    fig, axes = figure(1, 3, size=(13.0, 3.6))
    for ax, (key, label) in zip(axes, (("temperature_K", "STNO: temperature (K)"), ("adc_bits", "STNO: readout bits"),
                                       ("smtj_sigma_delta", "sMTJ reservoir: relative spread of Δ")), strict=True):
        xs = [p["x"] for p in sweeps[key]]
        ax.plot(xs, [100 * p["accuracy"] for p in sweeps[key]], "o-")
        ax.axhline(100 * 0.9984, color="grey", ls="--", lw=0.8, label="paper 99.84 %")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy (%)")
        ax.legend()
    fig.suptitle(f"STNO reservoir, sine vs square: {100 * accuracy:.2f} %")
    fig.savefig(path, dpi=110)
