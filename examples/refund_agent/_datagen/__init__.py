"""The dataset generator's parts: phrase banks, noise, orders, labels and the four sets.

Only `examples.refund_agent.generate` uses this package; the agent never imports it.
"""
