"""What pages show: plain reads returning rows and dataclasses, no unit of work."""
