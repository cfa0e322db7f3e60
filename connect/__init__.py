"""Amazon Connect: the contact center, Global Resiliency and the dynamic providers behind it."""
