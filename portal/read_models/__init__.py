"""Read models: what pages show, as plain functions over the database (no unit of work)."""
