"""The measurement window, ``mtjhw gui``: PyMeasure's ManagedWindow running whole ``mtjhw run`` runs
(:mod:`mtjhw.gui.window`). Needs Qt (the ``gui`` extra); nothing here is imported by ``mtjhw --help``."""
