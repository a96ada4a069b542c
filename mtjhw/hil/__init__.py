"""Hardware-in-the-loop training: forward pass on a device array, gradients from a trainer, weights written
back to the devices with pulses and verified."""
