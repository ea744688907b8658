"""Shared test helpers: data builders, HTTP and browser steps, services. Test modules import
from here, never from one another."""
