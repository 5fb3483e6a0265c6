"""DFIR: a single-location dataflow program (operators, subgraphs, strata, handoffs), its code
generator and its tick engine. It stands alone: nothing here knows Hydro's IR, just as Hydro's
``dfir_rs`` does not know ``hydro_lang``."""
