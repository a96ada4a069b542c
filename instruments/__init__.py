"""Instrument drivers (PyVISA/PyMeasure) and the role protocols procedures program against."""
