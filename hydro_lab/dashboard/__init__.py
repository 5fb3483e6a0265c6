"""Live views in a notebook: per-tick dashboards of a deployment, watched values, and the replay
of a recorded run. Widgets are ipywidgets and bokeh figures inside jupyter_bokeh widgets, with
BokehJS loaded inline; one pump thread applies every live update at a bounded rate.
"""
