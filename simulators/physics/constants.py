"""Physical constants (CODATA 2018, SI)."""

import math

MU0 = 1.25663706212e-6  # vacuum permeability, N/A²
E_CHARGE = 1.602176634e-19  # elementary charge, C
HBAR = 1.054571817e-34  # reduced Planck constant, J·s
KB = 1.380649e-23  # Boltzmann constant, J/K
GAMMA_E = 1.76085963023e11  # electron gyromagnetic ratio |γ|, rad/(s·T)
GAMMA_E_HZ = GAMMA_E / (2 * math.pi)  # ≈ 28.02 GHz/T
MU_B = 9.2740100783e-24  # Bohr magneton, J/T
