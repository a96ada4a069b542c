"""Stanford Research SR830 lock-in amplifier: PyMeasure's driver as the LockIn role."""

from __future__ import annotations

from pymeasure.instruments.srs import SR830 as _PyMeasureSR830


class SR830(_PyMeasureSR830):
    """Fills the :class:`~mtjhw.instruments.roles.LockIn` role; external reference, X/Y read together (SNAP)."""

    def __init__(self, adapter, name: str = "SR830 lock-in amplifier", **kwargs) -> None:
        kwargs.setdefault("read_termination", "\n")
        kwargs.setdefault("write_termination", "\n")
        super().__init__(adapter, name, **kwargs)

    def configure(self, time_constant: float, sensitivity: float) -> None:
        """External reference, ``time_constant`` (s) and ``sensitivity`` (V full scale), each rounded up to the
        instrument's next setting."""
        self.write("FMOD0")
        self.time_constant = time_constant
        self.sensitivity = sensitivity

    def settle_time(self) -> float:
        """Time (s) for the output to settle after a change: five time constants."""
        return 5 * float(self.time_constant)

    def read_xy(self) -> tuple[float, float]:
        """In-phase and quadrature components (V rms) at the same instant."""
        x, y = self.snap("X", "Y")
        return float(x), float(y)
