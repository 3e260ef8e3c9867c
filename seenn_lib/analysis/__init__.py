"""Analyses the notebooks call: tables computed from cached artifacts (seenn_lib.pipelines) and the
papers' reference numbers, one module per part of the papers."""
