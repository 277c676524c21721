"""The evaluator registry: config names (`nb201_table`, ...) to evaluator classes."""

from __future__ import annotations

from graphnas.registry import Registry

EVALUATORS: Registry = Registry("evaluator")
