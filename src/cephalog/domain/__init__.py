"""The clinical rules of cephalog, in plain Python.

Nothing here imports Django or does I/O; `today` is always a parameter.
Each module names the section of ../shared/spec/assessment.md or
../shared/domain/clinical-reference.md that it implements.
"""
