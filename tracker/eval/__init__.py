"""Measuring the tagger against hand-made labels (`grants tags evaluate`)."""
