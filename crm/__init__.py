"""Member analytics and re-marketing desk for online-shop sellers: the engine."""
__version__ = "0.1.0"
