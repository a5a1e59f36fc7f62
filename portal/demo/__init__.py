"""The demo world (a bottling plant and an apartment block) and the builders of a valid world.

Outside the product's services: `load_demo` (portal/demo/loader.py) builds the master data with
portal/demo/builders.py, which the tests' factories and bench/ share, and makes every document
through the real use cases in portal/services, as the demo's people. portal/demo/rows.py and
rows_buying.py give the row shapes of documents for tests and bulk benchmarks.
"""

from portal.demo.loader import load_demo

__all__ = ["load_demo"]
