"""Analysis: extract device parameters (SI units) from measured data."""


class AnalysisError(ValueError):
    """The data cannot constrain the requested parameters; the message says why and what to change."""
