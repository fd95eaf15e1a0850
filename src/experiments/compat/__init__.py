"""Library internals, one module per library: the few private names of Lightning (and, as
they come, of other libraries) this package relies on, each with a test that names it
(tests/compat/), so that an upgrade that moves one fails there first. Imports nothing of
the package; every layer may import it."""
