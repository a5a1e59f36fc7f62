"""Views of the assets feature."""

from portal.blueprints.assets import bp  # noqa: F401
