"""Device physics of MTJs and STNOs in SI units (field as μ0H in tesla)."""
