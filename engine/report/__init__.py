"""Report: what a run or a test read and produced, as text lines, terminal charts and a self-contained HTML report."""
