"""An opened bench: drivers by role, the field controller, safety limits and the bench clock.

``Bench.open("bench.yaml")`` gives the same objects whether the file says ``simulated: true`` (drivers talk
SCPI to virtual instruments through an in-process VISA library) or ``simulated: false`` (drivers open the
listed VISA resources). Procedures only use this class, so switching is a config change, never a code change.
"""

from __future__ import annotations

import inspect
import logging
import time
from pathlib import Path
from typing import Any

from mtjhw.instruments.field_controller import MagnetFieldController
from mtjhw.instruments.roles import (
    ROLES,
    FieldController,
    LockIn,
    Oscilloscope,
    Prober,
    PulseGenerator,
    ResistanceMeter,
    RFSource,
    Rotator,
    SourceMeter,
    SpectrumAnalyzer,
    SwitchMatrix,
    TemperatureController,
)
from mtjhw.instruments.vector_field import AXIS_ROLES, VectorFieldController

from . import bench_record
from .config import BenchConfig, BenchConfigError
from .connection import InstrumentCheck, check_instrument, connect
from .registry import registration

log = logging.getLogger(__name__)


def build_virtual_instruments(config: BenchConfig, *, seed: int | None = None, realtime: bool | None = None
                              ) -> tuple[Any, dict[str, tuple[str, Any]]]:
    """The virtual bench of a simulated bench file and its instruments: role → (resource string, handler)."""
    from mtjhw.simulators.bench import VirtualBench
    from mtjhw.simulators.bench.models import build_dut

    virtual = VirtualBench(build_dut(config.dut), seed=config.seed if seed is None else seed,
                           realtime=config.realtime if realtime is None else realtime)
    wafer = None
    if config.wafer is not None:
        from mtjhw.simulators.bench.wafer import VirtualWafer, WaferSpec

        wafer = VirtualWafer(WaferSpec.from_mapping(config.wafer), config.dut)
    instruments: dict[str, tuple[str, Any]] = {}
    for role, inst in config.instruments.items():
        entry = registration(inst.driver)
        resource = inst.resource or entry.resource
        if any(resource == used for used, _ in instruments.values()):
            raise BenchConfigError(f"instruments.{role}.resource: {resource} is used twice")
        axis = AXIS_ROLES.get(role)  # a vector magnet's supply drives the coil of its axis
        # a two-channel SMU's twin puts the DUT on the channel the driver uses
        on = {"dut_channel": inst.options["channel"]} if "channel" in inst.options and \
            "dut_channel" in inspect.signature(entry.twin).parameters else {}
        if wafer is not None and "wafer" in inspect.signature(entry.twin).parameters:
            on["wafer"] = wafer  # the prober steps the bench file's wafer
        twin = entry.twin(virtual, **on) if axis is None else entry.twin(virtual, magnet=virtual.axis_magnet(axis))
        virtual.wire(twin, role)  # an array DUT takes each source's bias on the matrix rows of its role
        instruments[role] = (resource, twin)
    return virtual, instruments


def _virtual_library(config: BenchConfig, seed: int | None) -> tuple[Any, dict[str, tuple[str, Any]], Any]:
    """The virtual bench of ``config``, its instruments and the in-process VISA library that reaches them."""
    from mtjhw.simulators.transport import VirtualVisaLibrary

    virtual, instruments = build_virtual_instruments(config, seed=seed)
    return virtual, instruments, VirtualVisaLibrary.for_instruments(dict(instruments.values()), lock=virtual.lock)


def open_driver(config: BenchConfig, role: str, resource: str, **adapter_kwargs: Any) -> Any:
    """The registered driver of ``role`` opened at ``resource`` with the bench file's options; drivers that
    take ``limits`` get the bench's safety limits."""
    inst = config.instruments[role]
    options = {k: v for k, v in inst.options.items() if k != "coil_constant"}
    driver = registration(inst.driver).driver
    if "limits" in inspect.signature(driver).parameters:
        options["limits"] = config.safety
    return driver(resource, **options, **adapter_kwargs)


def check_bench(config: BenchConfig) -> list[InstrumentCheck]:
    """Open every instrument of ``config`` (through the in-process library when simulated), read its
    ``*IDN?`` and compare it with the declared driver's model; one result per role, whatever fails."""
    targets = {role: (inst.resource, {}) for role, inst in config.instruments.items()}
    if config.simulated:
        _, instruments, library = _virtual_library(config, None)
        targets = {role: (resource, {"visa_library": library}) for role, (resource, _) in instruments.items()}
    checks = []
    for role, (resource, kwargs) in targets.items():
        driver = config.instruments[role].driver
        checks.append(check_instrument(role, driver, resource, registration(driver).twin.idn[1],
                                       lambda role=role, resource=resource, kwargs=kwargs:
                                       open_driver(config, role, resource, **kwargs)))
    return checks


class MissingRoleError(LookupError):
    """A procedure needs an instrument role the bench does not have."""


class Bench:
    """Instruments of one bench, opened. Use as a context manager: closing switches every output off."""

    def __init__(self, config: BenchConfig, drivers: dict[str, Any], virtual: Any = None,
                 handlers: dict[str, Any] | None = None) -> None:
        self.config = config
        self.drivers = drivers
        self.virtual = virtual  # the mtjhw.simulators.bench.VirtualBench behind a simulated bench, else None
        self._handlers = handlers or {}
        self._field: MagnetFieldController | None = None
        if "magnet" in drivers:
            self._field = MagnetFieldController(
                drivers["magnet"], drivers["gaussmeter"], config.instruments["magnet"].options["coil_constant"],
                limits=config.safety, sleep=self.sleep, clock=self.now)
        self._vector: VectorFieldController | None = None
        if "vector_gaussmeter" in drivers:
            supplies = {axis: (drivers[role], config.instruments[role].options["coil_constant"])
                        for role, axis in AXIS_ROLES.items() if role in drivers}
            self._vector = VectorFieldController.from_supplies(supplies, drivers["vector_gaussmeter"],
                                                               limits=config.safety, sleep=self.sleep, clock=self.now)
        if "temperature" in drivers:
            drivers["temperature"].set_clock(self.now, self.sleep)  # waits for a stable temperature on our clock
        if "rotator" in drivers:
            drivers["rotator"].set_clock(self.now, self.sleep)  # waits for the stage to stop on our clock
        self._arm_protection()
        self._identities = {role: self._identity(role, driver) for role, driver in drivers.items()}

    def _identity(self, role: str, driver: Any) -> dict[str, str]:
        """Driver name, ``*IDN?`` reply and firmware (the reply's 4th field) of one instrument; an instrument
        whose identity cannot be read gets "" (logged at info level), the bench still opens."""
        inst = self.config.instruments.get(role)
        try:
            idn = str(driver.id).strip()
        except Exception as exc:
            log.info("%s: reading *IDN? failed (%s); its identity is not recorded", role, exc)
            idn = ""
        fields = [part.strip() for part in idn.split(",")]
        return {"driver": inst.driver if inst else "", "idn": idn, "firmware": fields[3] if len(fields) > 3 else ""}

    def identities(self) -> dict[str, dict[str, str]]:
        """role → {"driver", "idn", "firmware"} of every instrument, as read when the bench was opened."""
        return {role: dict(identity) for role, identity in self._identities.items()}

    def _arm_protection(self) -> None:
        """Set each instrument's own limits from the bench's, where it has them, so that a crash of this host
        leaves the device protected; an instrument that refuses is reported (the gate still holds the limits)."""
        for role, driver in self.drivers.items():
            arm = getattr(driver, "arm_protection", None)
            if arm is None:
                continue
            try:
                arm()
            except Exception as exc:
                log.warning("%s: arming the instrument's own protection failed (%s); the bench limits are "
                            "still enforced before every command", role, exc)

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, config: BenchConfig | str | Path, *, seed: int | None = None) -> Bench:
        if not isinstance(config, BenchConfig):
            config = BenchConfig.load(config)
        return cls._open_simulated(config, seed) if config.simulated else cls._open_real(config)

    @classmethod
    def _open_simulated(cls, config: BenchConfig, seed: int | None) -> Bench:
        virtual, instruments, library = _virtual_library(config, seed)
        drivers = {role: open_driver(config, role, resource, visa_library=library)
                   for role, (resource, _) in instruments.items()}
        return cls(config, drivers, virtual, {role: handler for role, (_, handler) in instruments.items()})

    @classmethod
    def _open_real(cls, config: BenchConfig) -> Bench:
        stale = bench_record.claim(config.name, tuple(config.instruments))
        drivers: dict[str, Any] = {}
        try:
            for role, inst in config.instruments.items():
                drivers[role], _ = connect(role, inst.resource,
                                           lambda role=role, inst=inst: open_driver(config, role, inst.resource))
        except Exception:
            for driver in drivers.values():
                driver.adapter.close()
            bench_record.release(config.name)
            raise
        bench = cls(config, drivers)
        if stale is not None:
            log.warning("bench %r was not closed cleanly (%s): switching every output off first",
                        config.name, stale.describe())
            bench.outputs_off()
        return bench

    def virtual_handlers(self) -> list[Any]:
        """The virtual instruments behind a simulated bench (empty for a real one): for inspection in tests."""
        return list(self._handlers.values())

    # ----------------------------------------------------------------- roles
    def _role(self, role: str) -> Any:
        try:
            return self.drivers[role]
        except KeyError:
            raise MissingRoleError(f"bench {self.config.name!r} has no {role!r}: add instruments.{role} "
                                   "to the bench file") from None

    @property
    def smu(self) -> SourceMeter:
        return self._role("smu")

    @property
    def resistance(self) -> ResistanceMeter:
        return self._role("resistance")

    @property
    def has_resistance(self) -> bool:
        return "resistance" in self.drivers

    @property
    def prober(self) -> Prober:
        return self._role("prober")

    @property
    def has_prober(self) -> bool:
        return "prober" in self.drivers

    @property
    def field(self) -> FieldController:
        """The magnet's field control; on a vector-magnet bench, the field along ``vector_field.line``."""
        if self._field is None and self._vector is not None:
            return self._vector.line
        if self._field is None:
            raise MissingRoleError(f"bench {self.config.name!r} has no field control: add instruments.magnet "
                                   "and instruments.gaussmeter to the bench file")
        return self._field

    @property
    def vector_field(self) -> VectorFieldController:
        if self._vector is None:
            raise MissingRoleError(f"bench {self.config.name!r} has no vector field: add instruments.magnet_x, "
                                   "magnet_z and vector_gaussmeter to the bench file")
        return self._vector

    @property
    def has_vector_field(self) -> bool:
        return self._vector is not None

    @property
    def pulser(self) -> PulseGenerator:
        return self._role("pulser")

    @property
    def rf(self) -> RFSource:
        return self._role("rf")

    @property
    def lockin(self) -> LockIn:
        return self._role("lockin")

    @property
    def analyzer(self) -> SpectrumAnalyzer:
        return self._role("analyzer")

    @property
    def scope(self) -> Oscilloscope:
        return self._role("scope")

    @property
    def switch(self) -> SwitchMatrix:
        return self._role("switch")

    @property
    def temperature(self) -> TemperatureController:
        return self._role("temperature")

    @property
    def has_temperature(self) -> bool:
        return "temperature" in self.drivers

    @property
    def rotator(self) -> Rotator:
        return self._role("rotator")

    @property
    def has_rotator(self) -> bool:
        return "rotator" in self.drivers

    @property
    def has_field(self) -> bool:
        return self._field is not None or self._vector is not None

    # ----------------------------------------------------------------- time
    def sleep(self, seconds: float) -> None:
        """Wait: simulated time on a virtual bench (instant), wall time on a real one."""
        if seconds <= 0:
            return
        if self.virtual is not None and not self.virtual.realtime:
            self.virtual.advance(seconds)
        else:
            time.sleep(seconds)

    def now(self) -> float:
        """Bench clock (s): simulated time on a virtual bench, monotonic wall time on a real one."""
        if self.virtual is not None and not self.virtual.realtime:
            return self.virtual.time
        return time.monotonic()

    def reseed(self, *key: int) -> None:
        """A simulated bench draws its randomness from here on from (seed, ``*key``) (see ``VirtualBench.reseed``);
        a real bench has nothing to reseed."""
        if self.virtual is not None:
            self.virtual.reseed(*key)

    # ----------------------------------------------------------------- closing
    def outputs_off(self) -> None:
        """Every source to zero and off; each attempted even if another fails."""
        errors = []
        for role, driver in self.drivers.items():
            safe_state = ROLES[role].safe_state
            if safe_state is None:
                continue
            try:
                getattr(driver, safe_state)()
            except Exception as exc:  # keep going: every other output must be switched off too
                errors.append(exc)
        for field in (self._field, self._vector and self._vector.line):
            if field is None:
                continue
            try:
                field.shutdown()
            except Exception as exc:
                errors.append(exc)
        for exc in errors[1:]:  # the first is raised: its caller reports it
            log.error("switching outputs off failed: %s", exc)
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Every output off, then the connections closed; the record of an open real bench goes only once its
        outputs are off (else the next command that opens it retries)."""
        try:
            self.outputs_off()
            if not self.config.simulated:
                bench_record.release(self.config.name)
        finally:
            for driver in self.drivers.values():
                try:
                    driver.adapter.close()
                except Exception as exc:
                    log.warning("closing %s failed: %s", driver, exc)

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
