"""Hardware-in-the-loop training: forward pass on a device array, gradients from a trainer, weights written
back to the devices with pulses and verified.

Arrays (:mod:`.arrays`): binary crossbars read directly (``SimulatedArray``), through a source-meter and a switch
matrix on a bench (``BenchArray``) or through the FPGA's RC/TDC readout (``TdcReadArray``), and multi-level
crossbars of domain-wall or compound stochastic synapses (``MultiLevelArray``). Trainers (:mod:`.trainer`): float
numpy, the FPGA engine's golden model, or the engine itself. Programming (:mod:`.programming`): write-verify with
retries and a pulse budget. The loop (:mod:`.loop`): progress, a checkpoint every epoch, exact resume.
"""
