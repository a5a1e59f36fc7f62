"""The demo world (a bottling plant and an apartment block) and the builders of a valid world.

Outside the product's services: portal/demo/builders.py builds master data, which the demo,
the tests' factories and bench/ share; portal/demo/rows.py and rows_buying.py give the row
shapes of documents for tests and bulk benchmarks.
"""
