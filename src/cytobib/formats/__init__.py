"""Output formats for views (reading lists, review tables, evidence maps); see registry."""

from cytobib.formats.registry import for_path, get, names, require, resolve

__all__ = ["for_path", "get", "names", "require", "resolve"]
