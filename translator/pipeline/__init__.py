"""Stages wired together: the shared worker plumbing, batch and live modes, timelines, results and outputs."""
