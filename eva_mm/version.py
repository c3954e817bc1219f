"""The eva_mm release number."""
__version__ = '0.1.0'
