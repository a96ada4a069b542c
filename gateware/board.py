"""The host side that runs on a PYNQ board with the image's Python and numpy alone (pynq imported where used):
register access, the host classes of the engine and the readout, their configuration and golden model, and
deploy. ``pip install --no-deps`` the mtjhw wheel on the image; ``gateware/README.md`` ("On the board") lists the
images tested, and ``tests/board`` (``.ci/board.sh``) imports and exercises exactly these modules."""

BOARD_MODULES = (
    "mtjhw.gateware.registers",
    "mtjhw.gateware.host",
    "mtjhw.gateware.mlp_golden",
    "mtjhw.gateware.engine_map",
    "mtjhw.gateware.calibration",
    "mtjhw.gateware.accelerator_config",
    "mtjhw.gateware.accelerator_host",
    "mtjhw.gateware.deploy",
    "mtjhw.gateware.board",
)
