"""What pages show: plain reads returning dataclasses and rows, no unit of work."""
