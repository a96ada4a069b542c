"""Temperature dependence of a perpendicular MTJ: Ms(T), Hk(T), Δ(T), TMR(T), R_P(T), and Joule heating.

Every junction parameter is given at the reference temperature ``t_ref`` (where the device is exactly as its
bench file says); at another temperature T, with m = Ms(T)/Ms(t_ref):

- Ms(T) = Ms(0)·(1 − (T/T_C)^{3/2}): Bloch's spin-wave law with the Curie temperature ``t_curie`` as its scale;
- K(T) ∝ Ms(T)^n (Callen & Callen, J. Phys. Chem. Solids 27, 1271 (1966): n = 3 for single-ion uniaxial
  anisotropy, n = 2 for a two-ion term such as the anisotropic exchange Sato et al., PRB 98, 214428 (2018) find
  at the CoFeB/MgO interface; ``anisotropy_exponent`` default 2.5, between the two), so
  μ0Hk = 2K/Ms ∝ m^{n−1}, Δ = KV/(kB T) ∝ m^n/T and Sun's Ic0 ∝ αMsHkV/η ∝ m^n (η and α held at their t_ref values);
- TMR from Jullière, TMR = 2P²/(1 − P²) (identical electrodes), with P(T) = P0(1 − a·T^{3/2}) (Shang et al.,
  PRB 58, R2917 (1998); ``polarisation_a`` = a, K^-3/2, default 2e-5: TMR 1.2 at 300 K becomes 1.75 at 0 K);
- R_P(T) = R_P(t_ref)·(1 + β(T − t_ref)), β = ``rp_tcr`` (1/K, default −2e-4: MgO junctions' R_P rises a few %
  on cooling to 4 K).

Joule heating: the junction sits at T_bath + R_th·|V·I| (``r_thermal``, K/W), quasi-statically: a junction's
thermal time is ns, shorter than any drive interval the bench simulates. The heating is resolved to
:data:`HEATING_STEP`, so the physics at a heated temperature is built once for the many biases that share it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .telegraph import TelegraphParams

#: K: resolution of the Joule heating the junction physics sees (Δ moves by < 2e-4 at 300 K)
HEATING_STEP = 0.1


@dataclass(frozen=True)
class ThermalScaling:
    """How a junction's parameters, given at ``t_ref`` (K), change with temperature (see the module)."""

    t_ref: float = 300.0  #: K: temperature at which the bench file's parameters apply
    t_curie: float = 1000.0  #: K: Curie temperature of the free layer
    anisotropy_exponent: float = 2.5  #: Callen–Callen n of K(T) ∝ Ms(T)^n
    polarisation_a: float = 2e-5  #: K^-3/2: a of P(T) = P0(1 − a·T^{3/2})
    rp_tcr: float = -2e-4  #: 1/K: relative change of R_P per kelvin

    def __post_init__(self) -> None:
        if not 0 < self.t_ref < self.t_curie:
            raise ValueError(f"need 0 < t_ref < t_curie (got t_ref {self.t_ref} K, t_curie {self.t_curie} K)")
        if not self.anisotropy_exponent >= 1:
            raise ValueError(f"anisotropy_exponent must be >= 1 (got {self.anisotropy_exponent})")
        if not 0 <= self.polarisation_a * self.t_ref ** 1.5 < 1:
            raise ValueError(f"polarisation_a must be >= 0 and leave P(t_ref) > 0 (got {self.polarisation_a})")

    def keywords(self) -> dict[str, float]:
        """The bench-file parameters of this scaling other than ``t_ref``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "t_ref"}

    def check(self, temperature: float) -> float:
        """``temperature`` (K) as a float; ValueError outside (0, t_curie)."""
        if not 0 < temperature < self.t_curie:
            raise ValueError(f"temperature must be in (0, t_curie = {self.t_curie:g}) K: the free layer is "
                             f"paramagnetic above its Curie temperature (got {temperature!r})")
        return float(temperature)

    def magnetisation(self, temperature: float) -> float:
        """m = Ms(T)/Ms(t_ref) (Bloch)."""
        return (1 - (temperature / self.t_curie) ** 1.5) / (1 - (self.t_ref / self.t_curie) ** 1.5)

    def anisotropy(self, temperature: float) -> float:
        """K(T)/K(t_ref) = m^n: also Sun's Ic0(T)/Ic0(t_ref)."""
        return self.magnetisation(temperature) ** self.anisotropy_exponent

    def anisotropy_field(self, temperature: float) -> float:
        """μ0Hk(T)/μ0Hk(t_ref) = m^{n−1}."""
        return self.magnetisation(temperature) ** (self.anisotropy_exponent - 1)

    def stability(self, temperature: float) -> float:
        """Δ(T)/Δ(t_ref) = m^n·t_ref/T."""
        return self.anisotropy(temperature) * self.t_ref / temperature

    def tmr(self, tmr: float, temperature: float) -> float:
        """Zero-bias TMR at ``temperature`` of a junction with ``tmr`` at t_ref (Jullière with P(T) of Shang)."""
        a = self.polarisation_a
        p2 = tmr / (2 + tmr) * ((1 - a * temperature ** 1.5) / (1 - a * self.t_ref ** 1.5)) ** 2
        if not p2 < 1:
            raise ValueError(f"the spin polarisation reaches 1 at {temperature:g} K (tmr {tmr:g} at t_ref, "
                             f"polarisation_a {a:g}): lower polarisation_a")
        return 2 * p2 / (1 - p2)

    def r_p(self, r_p: float, temperature: float) -> float:
        """R_P (Ω) at ``temperature`` of a junction with ``r_p`` at t_ref."""
        factor = 1 + self.rp_tcr * (temperature - self.t_ref)
        if not factor > 0:
            raise ValueError(f"rp_tcr {self.rp_tcr:g}/K makes R_P negative at {temperature:g} K")
        return r_p * factor

    def junction(self, params: TelegraphParams, temperature: float) -> TelegraphParams:
        """``params`` (given at t_ref) at ``temperature`` (K): Δ, Hk, Ic0, R_P, TMR moved together, with
        ``temperature`` as the one their ``delta`` applies at. ``params`` itself at t_ref."""
        if temperature == self.t_ref:
            return params
        return dataclasses.replace(
            params, delta=params.delta * self.stability(temperature),
            hk=params.hk * self.anisotropy_field(temperature), ic0=params.ic0 * self.anisotropy(temperature),
            r_p=self.r_p(params.r_p, temperature), tmr=self.tmr(params.tmr, temperature), temperature=temperature)

    def heated(self, bath: float, r_thermal: float, power: float) -> float:
        """Junction temperature (K) at ``bath`` K dissipating ``power`` W through ``r_thermal`` K/W, the rise
        resolved to :data:`HEATING_STEP`."""
        return self.check(bath + HEATING_STEP * round(r_thermal * abs(power) / HEATING_STEP))
