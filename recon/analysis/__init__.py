"""Analysis of simulation results: summaries, confidence intervals, plots (and sweeps).

This layer reads what the simulation produced; it never runs a loop itself except through
``recon.sim.simulate``.
"""
