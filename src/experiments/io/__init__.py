"""Low-level file work every layer may use: atomic writes (`atomic`), one process per folder
(`lock`), and which process holds a file (`process`). A leaf: imports nothing else of the
package."""
