"""Benchmarks that stand on their own: ``python -m bench [NAME ...] [--quick] [--json PATH]``.

Each benchmark measures ours and public anchors (``bench/anchors``) in the
same run on the same machine and prints one table per case with the ratio,
its targets (met or missed; a miss never fails the run) and skip lines for
what is not installed or not reachable.  ``--plot [PATH]`` draws a saved run.
Nothing heavy is imported until a benchmark runs, so the package imports
without any optional library.
"""
