"""The Hydro IR: plain data (nodes, locations, kinds) and the functions over it."""
