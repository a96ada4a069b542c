"""Every registered instrument with every third-party driver its registration names, with no per-instrument code.

Each third-party driver (``Registration.third_party``, dotted class paths) is opened on the twin as its users open
it (:data:`drivers.OPENING`), over the in-process VISA library and over TCP:

- a QCoDeS instrument takes a full ``snapshot(update=True)``, which must log no parameter it could not update;
- a PyMeasure instrument has every readable property of itself and its channels read without an exception;
- then every parameter or property that can be both read and set is set to the value just read and read back
  equal to it;
- and the twin's error queue is empty at the end: nothing the driver sent was refused.

Other drivers (``lakeshore.Model425`` opens its own socket) have tests of their own. What a driver is known to get
wrong is listed in :data:`drivers.DRIVER_BUGS`: left out here, and checked to still fail in
:func:`test_listed_driver_bugs_still_fail`, so the list cannot outlive the bugs. A new instrument joins this test by
registering.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import assert_clean, error_entries, serve
from drivers import (
    DRIVER_BUGS,
    SLOW_TO_SNAPSHOT,
    close_driver,
    driver_class,
    is_pymeasure,
    is_qcodes,
    open_driver,
    pymeasure_choices,
    pymeasure_properties,
    pymeasure_readable,
    pymeasure_settable,
    pymeasure_targets,
    pymeasure_value,
    qcodes_parameters,
    same,
)

from mtjhw.registry import REGISTRY

CASES = [(entry.name, path) for entry in REGISTRY.values() for path in entry.third_party]
#: Read timeouts while checking the listed bugs over TCP (a bug is often a query left unanswered): PyMeasure in
#: ms, QCoDeS in s.
SHORT_TIMEOUT = {"pymeasure": 100, "qcodes": 0.1}


def family(path: str) -> str | None:
    """"qcodes", "pymeasure" or None (a driver of neither family)."""
    cls = driver_class(path)
    return "qcodes" if is_qcodes(cls) else "pymeasure" if is_pymeasure(cls) else None


def key_of(where: str, name: str) -> str:
    """A parameter's or property's name as :data:`drivers.DRIVER_BUGS` writes it."""
    return f"{where}.{name}" if where else name


def check_qcodes(inst: Any, bugs: dict[str, str], caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    """A full snapshot that updates every parameter but the listed bugs; how many it read (and set: none)."""
    params = qcodes_parameters(inst)
    for key in bugs.keys() & params.keys():
        params[key].snapshot_exclude = True
    before = {key: param.cache.timestamp for key, param in params.items()}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        inst.snapshot(update=True)
    failed = [record.getMessage() for record in caplog.records if "Could not update" in record.getMessage()]
    assert not failed, failed
    return sum(param.cache.timestamp != before[key] for key, param in params.items()), 0


def check_pymeasure(inst: Any, bugs: dict[str, str]) -> tuple[int, int]:
    """Read everything, set back what can be set; how many properties were read and set."""
    read, failed = {}, {}
    for where, target in pymeasure_targets(inst).items():
        for name in pymeasure_readable(target):
            if key_of(where, name) not in bugs:
                try:
                    read[key_of(where, name)] = (target, name, getattr(target, name))
                except Exception as error:  # noqa: BLE001 - every failure is reported, not only the first
                    failed[key_of(where, name)] = repr(error)
    assert not failed, failed
    settable_names = {id(target): set(pymeasure_settable(target)) for target in pymeasure_targets(inst).values()}
    settable = {key: item for key, item in read.items() if item[1] in settable_names[id(item[0])]}
    wrong = {}
    for key, (target, name, value) in settable.items():
        try:
            setattr(target, name, value)
            back = getattr(target, name)
        except Exception as error:  # noqa: BLE001
            wrong[key] = repr(error)
            continue
        if not same(back, value):
            wrong[key] = (value, back)
    assert not wrong, wrong
    return len(read), len(settable)


def case_id(name: str, path: str) -> str:
    """``twin-package.Class``: ``keithley2450-qcodes.Keithley2450``."""
    return f"{name}-{path.split('.')[0]}.{path.rsplit('.', 1)[1]}"


@pytest.mark.parametrize(("name", "path"), CASES, ids=[case_id(name, path) for name, path in CASES])
def test_driver_reads_and_sets_everything(name: str, path: str, transport: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    kind = family(path)
    if kind is None:
        pytest.skip(f"{path} is neither a QCoDeS nor a PyMeasure instrument: its own tests cover it")
    bugs = DRIVER_BUGS.get(path, {})
    with serve(name, transport) as served:
        inst = open_driver(path, served, f"generic_{name}".replace("-", "_"))
        try:
            read, _ = check_qcodes(inst, bugs | SLOW_TO_SNAPSHOT.get(path, {}), caplog) if kind == "qcodes" \
                else check_pymeasure(inst, bugs)
        finally:
            close_driver(inst)
        assert_clean(served.twin)
    assert read > 0


def bug_fails(kind: str, inst: Any, key: str, twin: Any) -> bool | None:
    """Whether listed bug ``key`` still fails on ``inst``: reading it, or setting it to the value read (to a value
    its validator gives where it cannot be read), raises, has the twin queue an error or reads back another value;
    None where the driver has no such parameter (it belongs to another registration of the same driver)."""
    if kind == "qcodes":
        param = qcodes_parameters(inst).get(key)
        if param is None:
            return None
        readable, settable, get, put = param.gettable, param.settable, param.get, getattr(param, "set", None)
        unread: Any = None
    else:
        where, _, name = key.rpartition(".")
        target = pymeasure_targets(inst).get(where)
        if target is None or name not in pymeasure_properties(target):
            return None
        readable, settable = name in pymeasure_readable(target), name in pymeasure_settable(target)
        get, put = (lambda: getattr(target, name)), (lambda value: setattr(target, name, value))
        unread = pymeasure_value(target, name, None) if pymeasure_choices(target, name) else "0"
    try:
        value = get() if readable else unread
        if error_entries(twin):
            return True
        if settable:
            put(value)
            if readable and not same(get(), value):  # a round trip: the instrument has executed the set
                error_entries(twin)
                return True  # what was set does not read back (sent wrongly, e.g. formatted to zero)
        return bool(error_entries(twin))
    except Exception:  # noqa: BLE001 - any failure is the bug showing
        error_entries(twin)
        return True


@pytest.mark.parametrize("path", sorted(DRIVER_BUGS))
def test_listed_driver_bugs_still_fail(path: str) -> None:
    """Every entry of :data:`drivers.DRIVER_BUGS` names a parameter of a registered instrument's driver that still
    fails there: in-process, or (a bug of the socket's terminator) over TCP."""
    kind = family(path)
    names = [name for name, registered in CASES if registered == path]
    assert names, f"{path} is not a third-party driver of any registered instrument"
    bugs, found, failing = DRIVER_BUGS[path], set(), set()
    for transport in ("in-process", "tcp"):
        for name in names:
            with serve(name, transport) as served:
                inst = open_driver(path, served, f"bugs_{name}".replace("-", "_"))
                if transport == "tcp":  # an unanswered query costs a timeout: a short one
                    if kind == "qcodes":
                        inst.timeout(SHORT_TIMEOUT[kind])
                    else:
                        inst.adapter.connection.timeout = SHORT_TIMEOUT[kind]
                try:
                    for key in sorted(set(bugs) - failing):
                        fails = bug_fails(kind, inst, key, served.twin)
                        if fails is not None:
                            found.add(key)
                        if fails:
                            failing.add(key)
                finally:
                    close_driver(inst)
        if failing == set(bugs):
            break
    assert set(bugs) <= found, f"not a parameter of {path}: {sorted(set(bugs) - found)}"
    assert failing == set(bugs), f"listed as bugs of {path} but working: {sorted(set(bugs) - failing)}"
