"""Report: pictures of a run, as terminal charts and a self-contained HTML report."""
