"""lac-health: quarterly health KPIs for children looked after."""

__version__ = "0.1.0"
