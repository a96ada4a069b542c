"""Every procedure names the two data columns of its live plot in ``mtjhw gui``."""

import pytest

from mtjhw.procedures import PROCEDURES


@pytest.mark.parametrize("name", sorted(PROCEDURES))
def test_every_procedure_plots_two_of_its_own_columns(name):
    cls = PROCEDURES[name]
    x, y = cls.PLOT_AXES
    assert x in cls.DATA_COLUMNS and y in cls.DATA_COLUMNS and x != y
