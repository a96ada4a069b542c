"""Amaranth gateware for the FPGA side: TDC readout, training engine, register bank, host interface."""
