"""Views of the parts feature."""

from portal.blueprints.parts import bp  # noqa: F401
