"""The instance core: what one instance of a location does with a tick, written once for every
backend. ``topology`` says who runs, ``instance`` turns ``(now, arrivals)`` into an outcome
(deliveries, external outputs, sink values, metric rows, a failure), ``routing`` splits a batch
per destination, ``faults`` applies injected faults, ``failure`` tells a failed tick. The local
and Ray deployments and the simulator's world are drivers that only move outcomes around.
"""
