"""Library internals, one module per library (`lightning`, `hydra`, `datasets`,
`tensorboard`): the private names of other libraries this package relies on, each with a
test that names it (tests/compat/), so that an upgrade that moves one fails there first; the
versions they were written for are pinned in pyproject.toml. Imports nothing of the
package; every layer may import it."""
